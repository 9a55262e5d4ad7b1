"""Classes of secret stores an eighth independent probe (operations trees) found accepted.

Round 15: configuration management (Ansible's password lookup, Salt pillars and salt-ssh,
Puppet's CA, Chef data bags), infrastructure as code (Terraform plans, Pulumi's local
backend, Packer variables), Kubernetes and GitOps (EncryptionConfiguration, static tokens,
sealed-secrets key backups, decrypted helm-secrets/SOPS files, credential manifests), the
``etc/`` trees of mail, directory, Kerberos, RADIUS, DNS, NTP and SNMP servers, data services,
monitoring, backup tools and CI servers. Each class is a catalogue entry, so these paths are
cousins of the probe's rows, not its rows. The safe paths are the public neighbours
(certificates, CRLs, DH parameters, public keys, templates, docs, code, schemas) the same
round shared by narrowing rules; the "still refused" ones are what those narrower rules must
not let through.
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.pathpolicy import catalogue_entry, is_sensitive_name

RESTIC_KEY = "4f" * 32  # a restic key file's name: 64 hex digits

# (path, the catalogue entry whose pattern refuses it)
REFUSED = [
    # Ansible's password lookup and kubespray write into a credentials/ directory
    ("inventories/prod/credentials/web1/mysqlpassword", "credentials-directory"),
    ("ansible/credentials/app01/admin_pass", "credentials-directory"),
    ("kubespray/inventory/lab/credentials/kube_user.creds", "credentials-directory"),
    ("group_vars/credentials/ldap_bind.json", "credentials-directory"),
    # Salt pillars and salt-ssh, Chef data bags
    ("srv/pillar/app/db_passwords.sls", "configuration-management-secrets"),
    ("pillars/prod/api_tokens.sls", "configuration-management-secrets"),
    ("salt/states/secrets.sls", "configuration-management-secrets"),
    ("etc/salt/roster", "configuration-management-secrets"),
    ("chef-repo/data_bags/db_passwords/prod.json", "configuration-management-secrets"),
    ("chef-repo/data_bags/aws_credentials/main.json", "configuration-management-secrets"),
    ("chef-repo/data_bags/deploy_tokens/github.json", "configuration-management-secrets"),
    ("srv/salt/pki/master/ssh/salt-ssh.rsa", "ssh-private-keys"),
    ("etc/puppetlabs/puppetserver/ca/private/ca.pass", "system-tls-private"),
    ("opt/pki/ca/private/intermediate.txt", "system-tls-private"),
    ("etc/chef-backend/chef-backend-secrets.json", "secret-named-files"),
    # Terraform plans, Pulumi's local backend, Packer variables
    ("out/staging.tfplan", "iac-plans-and-local-state"),
    ("plans/tfplan.binary", "iac-plans-and-local-state"),
    ("stacks/web/tfplan.json", "iac-plans-and-local-state"),
    ("terraform.plan", "iac-plans-and-local-state"),
    (".pulumi/stacks/myproj/prod.json", "iac-plans-and-local-state"),
    (".pulumi/history/dev/dev-1700000000.checkpoint.json", "iac-plans-and-local-state"),
    (".pulumi/backups/dev/dev.1700000000.json", "iac-plans-and-local-state"),
    ("packer/windows.auto.pkrvars.hcl", "iac-plans-and-local-state"),
    ("packer/vsphere-credentials.pkrvars.json", "iac-plans-and-local-state"),
    # Kubernetes, OpenShift, GitOps
    ("etc/kubernetes/enc/enc.yaml", "kubernetes-cluster-secrets"),
    ("cluster/aescbc-encryption-config.yaml", "kubernetes-cluster-secrets"),
    ("etc/kubernetes/known_tokens.csv", "kubernetes-cluster-secrets"),
    ("etc/kubernetes/bootstrap-kubelet.conf", "kubernetes-cluster-secrets"),
    ("backup/sealed-secrets-key.yaml", "kubernetes-cluster-secrets"),
    ("ocp/.openshift_install_state.json", "kubernetes-cluster-secrets"),
    ("ocp/install-config.yaml", "kubernetes-cluster-secrets"),
    ("ocp/pull_secret.txt", "kubernetes-cluster-secrets"),
    ("charts/web/secrets.staging.yaml.dec", "decrypted-secrets"),
    ("env/values.dec.yaml", "decrypted-secrets"),
    ("secrets-decrypted.json", "decrypted-secrets"),
    ("argocd/private-repo-creds.yaml", "credential-file-names"),
    ("registry-credentials.yml", "credential-file-names"),
    ("kafka/tls/truststore_creds", "credential-file-names"),
    ("roles/aws/files/boto_credentials", "credential-file-names"),
    ("cert-manager/acme-staging-account-key.yaml", "secret-named-files"),
    # passwords, passphrases and secret ids in files named for them
    ("etc/restic/b2-password", "password-file-names"),
    ("ops/initial_admin_password", "password-file-names"),
    ("backups/restic.passphrase", "password-file-names"),
    ("etc/borgmatic/passphrase", "password-file-names"),
    ("etc/credstore/smtp-password", "password-file-names"),
    ("certs/server.pass", "password-file-names"),
    ("etc/ppp/l2tp-secrets", "secret-file-names"),
    ("vault/approle/secret_id.txt", "secret-file-names"),
    ("ops/vault-sink/token", "token-file-names"),
    # mail, directory and Kerberos servers
    ("var/spool/postfix/etc/sasldb2", "mail-and-directory-servers"),
    ("etc/dovecot/dovecot-ldap-userdb.conf.ext", "mail-and-directory-servers"),
    ("etc/courier/authmysqlrc", "mail-and-directory-servers"),
    ("etc/ldap/slapd.conf", "mail-and-directory-servers"),
    ("etc/ldap/slapd.d/cn=config/olcDatabase={1}mdb.ldif", "mail-and-directory-servers"),
    ("var/lib/ldap/data.mdb", "mail-and-directory-servers"),
    ("etc/dirsrv/slapd-example/dse.ldif", "mail-and-directory-servers"),
    ("var/kerberos/krb5kdc/principal.kadm5", "mail-and-directory-servers"),
    ("var/kerberos/krb5kdc/.k5.CORP.EXAMPLE.COM", "mail-and-directory-servers"),
    ("var/lib/heimdal-kdc/heimdal.db", "mail-and-directory-servers"),
    ("backup/ldap/ldap-2024.ldif", "database-dumps"),
    ("backups/directory.ldif.gz", "database-dumps"),
    ("srv/slapcat-nightly.ldif", "database-dumps"),
    # DKIM, DNSSEC, TSIG, NTP, SNMP, RADIUS, systemd credentials
    ("etc/opendkim/keys/example.org/default.private", "network-service-keys"),
    ("etc/bind/Kexample.org.+008+01234.private", "network-service-keys"),
    ("etc/bind/tsig-keys.conf", "network-service-keys"),
    ("etc/ntpsec/ntp.keys", "network-service-keys"),
    ("etc/ntp/ntpkey_MD5key_host.3700000000", "network-service-keys"),
    ("etc/snmp/snmpd.conf", "network-service-keys"),
    ("home/u/.snmp/snmp.conf", "network-service-keys"),
    ("etc/raddb/mods-enabled/sql", "network-service-keys"),
    ("etc/freeradius/3.0/proxy.conf", "network-service-keys"),
    ("etc/freeradius/3.0/certs/ca.cnf", "network-service-keys"),
    ("etc/credstore.encrypted/db", "network-service-keys"),
    # ACME clients, SSH CAs, VPNs
    ("etc/letsencrypt/route53.ini", "acme-client-credentials"),
    ("srv/certbot/gandi.ini", "acme-client-credentials"),
    (".acme.sh/ca/acme.zerossl.com/v2/DV90/ca.conf", "acme-client-credentials"),
    ("docker/acme.sh/account.conf", "acme-client-credentials"),
    ("etc/ssh/ca/host_ca", "ssh-ca-keys"),
    ("keys/ssh-user-ca", "ssh-ca-keys"),
    ("etc/openvpn/client/up.auth", "remote-access-secrets"),
    ("etc/openvpn/site-b/pass.txt", "remote-access-secrets"),
    ("vpn/wg-home.conf", "vpn"),
    ("vpn/wg_office.conf", "vpn"),
    ("vpn/phone-wg1.conf", "vpn"),
    # data services, monitoring, backups, CI servers, password manager exports
    ("etc/elasticsearch/users", "data-service-credentials"),
    ("etc/elasticsearch/service_tokens", "data-service-credentials"),
    ("opensearch/config/opensearch-security/internal_users.yml", "data-service-credentials"),
    ("kafka/config/broker_jaas.conf", "data-service-credentials"),
    ("etc/rabbitmq/definitions.prod.json", "data-service-credentials"),
    ("grafana/data/grafana.db", "monitoring-secrets"),
    ("usr/local/nagios/etc/resource.cfg", "monitoring-secrets"),
    ("etc/icinga2/conf.d/api-users.conf", "monitoring-secrets"),
    ("etc/icinga2/constants.conf", "monitoring-secrets"),
    ("etc/zabbix/zabbix_server.conf", "monitoring-secrets"),
    ("etc/zabbix/web/zabbix.conf.php", "monitoring-secrets"),
    (f"srv/restic/keys/{RESTIC_KEY}", "backup-tool-secrets"),
    ("etc/duply/nightly/conf", "backup-tool-secrets"),
    ("etc/borgmatic/config.yaml", "backup-tool-secrets"),
    ("etc/borgmatic.d/home.yaml", "backup-tool-secrets"),
    (".autorestic.yml", "backup-tool-secrets"),
    ("jenkins_home/identity.key.enc", "ci-server-secrets"),
    ("jenkins_home/users/bob_999/config.xml", "ci-server-secrets"),
    ("TeamCity/buildAgent/conf/buildAgent.properties", "ci-server-secrets"),
    ("Properties/PublishProfiles/Prod.pubxml.user", "ci-server-secrets"),
    ("exports/Bitwarden-Export.json", "password-manager-databases"),
    ("exports/chrome passwords.csv", "password-manager-databases"),
    ("exports/keepass-export.xml", "password-manager-databases"),
]

# Public neighbours of those stores, and the code, docs and templates beside them.
SHARED = [
    "config/credentials/production.yml.enc",
    "aws/credentials/chain_provider.go",
    "src/Credentials/CredentialProvider.php",
    "railties/lib/rails/generators/credentials/USAGE",
    "srv/pillar/app/settings.sls",
    "srv/pillar/top.sls",
    "etc/salt/master",
    "srv/salt/pki/master/ssh/salt-ssh.rsa.pub",
    "src/main/resources/META-INF/CERT.RSA",
    "etc/puppetlabs/puppetserver/ca/signed/web02.pem",
    "etc/puppetlabs/puppetserver/ca/ca_crl.pem",
    "etc/puppetlabs/puppet/ssl/certificate_requests/web02.pem",
    "etc/puppetlabs/puppet/ssl/public_keys/db02.pem",
    "etc/puppetlabs/puppet/ssl/certs/db02.pem",
    "chef-repo/data_bags/users/alice.json",
    "chef-repo/data_bags/README.md",
    ".chef/trusted_certs/chef_internal.crt",
    "docs/tfplan.md",
    "scripts/tfplan.sh",
    "Pulumi.prod.yaml",
    "packer/windows.pkrvars.hcl",
    "packer/variables.pkr.hcl",
    "charts/k8s/templates/encryption-config.yaml",
    "docs/sealed-secrets-key-rotation.md",
    "apps/db/sealed-secret.yaml",
    "docs/decrypted-values.md",
    "pkg/sops/decrypted_test.go",
    "argocd/templates/repo-creds.yaml",
    "argocd/repo-creds-sealed.yaml",
    "docs/reset-password.md",
    "app/views/reset_password.html",
    "src/auth/hash_password.py",
    "etc/opendkim/keys/example.org/default.txt",
    "etc/dovecot/dovecot-sql.conf.ext.j2",
    "etc/dovecot/conf.d/auth-sql.conf.ext",
    "etc/ldap/schema/core.ldif",
    "ldap/bootstrap/users.ldif",
    "etc/krb5kdc/kadm5.acl",
    "etc/raddb/radiusd.conf",
    "etc/freeradius/3.0/dictionary",
    "etc/bind/Kexample.org.+008+01234.key",
    "etc/bind/named.conf",
    "etc/ntp/ntpkey_cert_host",
    "etc/snmp/snmpd.conf.j2",
    "etc/ssh/ca/host_ca.pub",
    "etc/ssh/trusted-user-ca-keys.pem",
    "etc/letsencrypt/cli.ini",
    "etc/letsencrypt/renewal/example.org.conf",
    "etc/letsencrypt/accounts/acme-staging-v02.api.letsencrypt.org/directory/0a1b/regr.json",
    "etc/letsencrypt/accounts/acme-staging-v02.api.letsencrypt.org/directory/0a1b/meta.json",
    "etc/letsencrypt/csr/0002_csr-certbot.pem",
    "elasticsearch/config/users_roles",
    "kafka/config/jaas.conf.template",
    "etc/zabbix/zabbix_agent2.conf",
    "etc/icinga2/zones.conf",
    "srv/restic/keys/README",
    "etc/duply/nightly/exclude",
    "var/lib/jenkins/users/users.xml",
    "Properties/PublishProfiles/Prod.pubxml",
    "docs/lastpass-export.md",
    "etc/nginx/dhparam4096.pem",
    "etc/ssl/ffdhe2048.pem",
    "pki/crl.pem",
    "server.csr.pem",
    "tls/certs/localhost.pem",
    "etc/ssl/certs/mail.example.org.pem",
    "sealed-secrets/my-pub-cert.pem",
    "keys/release_pub.pem",
    "run/secrets/kubernetes.io/serviceaccount/ca.crt",
    "run/secrets/kubernetes.io/serviceaccount/namespace",
    ".config/gcloud/active_config",
    "var/lib/samba/private/tls/ca.pem",
]

# What the narrower rules above must not let through: keys and secrets beside the shared
# files, under names or in places close to theirs.
STILL_REFUSED = [
    "etc/bind/Kexample.org.+157+12345.key",  # an HMAC (TSIG) key, not a DNSSEC public key
    "etc/puppetlabs/puppet/ssl/certs/web02-key.pem",
    "etc/puppetlabs/puppet/ssl/private_keys/web02.pem",
    "etc/puppetlabs/puppetserver/ca/ca_key.pem",
    "etc/letsencrypt/accounts/acme-staging-v02.api.letsencrypt.org/directory/0a1b/private_key.json",
    "var/lib/samba/private/tls/key.pem",
    "var/lib/samba/private/secrets.tdb",
    "run/secrets/kubernetes.io/serviceaccount/token",
    "config/credentials/staging.key",
    "credentials/web1/root.yml",
    ".config/gcloud/configurations/config_prod",
    "chef-repo/.chef/config.rb",
    "etc/ssl/private/dhparam.pem",
    "etc/ssl/certs/server-key.pem",
    "sealed-secrets/pub-cert-key.pem",
    "etc/sudoers.d/README",  # sudo reads it as rules: no dot in its name
    "etc/dovecot/passwd.db",
]


def _spellings(path: str) -> list[str]:
    """Other spellings of the same store: case, backup and editor copies, nesting, NTFS."""
    head, _, name = path.rpartition("/")
    prefix = head + "/" if head else ""
    return [
        path.upper(),
        path + ".bak",
        path + "~",
        path + ".orig",
        path + ".old.1",
        "backup/2024-05/" + path,
        path + ".",
        prefix + "#" + name + "#",
    ]


@pytest.mark.parametrize(("path", "entry"), REFUSED, ids=[p for p, _ in REFUSED])
def test_operations_stores_are_refused_and_never_exported(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path)
    rule = is_sensitive_name(path)
    found = catalogue_entry(rule) if rule is not None else None
    assert found is not None and found.name == entry, (path, rule)


@pytest.mark.parametrize(("path", "entry"), REFUSED, ids=[p for p, _ in REFUSED])
def test_other_spellings_of_the_stores_are_refused(path: str, entry: str) -> None:
    for spelling in _spellings(path):
        assert not check_path(spelling).safe, spelling
        assert not is_exportable(spelling), spelling


@pytest.mark.parametrize(
    "path",
    [
        "etc/ѕasldb2",  # Cyrillic s
        "ｔｆｐｌａｎ",  # full-width letters
        "etc/kubernetes/еnc/enc.yaml",  # Cyrillic e
        ".pulumi/stаcks/dev.json",  # Cyrillic a
        "Credentials/DB/Root",
        ".PULUMI/Stacks/dev.json",
        "etc/krb5kdc/.K5.REALM",
    ],
)
def test_look_alike_spellings_are_refused(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize("path", SHARED)
def test_public_neighbours_are_shared(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe, verdict.reason
    assert is_exportable(path), path
    assert is_sensitive_name(path) is None, path


@pytest.mark.parametrize("path", STILL_REFUSED)
def test_keys_beside_the_shared_files_stay_refused(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize(
    "path",
    [
        "/etc/sasldb2",
        "/var/kerberos/krb5kdc/principal",
        "/etc/ntpsec/ntp.keys",
        "/etc/kubernetes/enc/enc.yaml",
        "/srv/app/.pulumi/stacks/prod.json",
        "~/.acme.sh/account.conf",
        "/etc/opendkim/keys/example.org/default.private",
    ],
)
def test_reading_them_outside_the_repository_is_sensitive(path: str) -> None:
    """The command classifier asks is_sensitive_name about absolute and ~ paths."""
    rule = is_sensitive_name(path)
    assert rule is not None and catalogue_entry(rule) is not None, path
