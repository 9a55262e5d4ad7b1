"""Export bundles: ``bundle`` writes one (``bundlepatch``, ``diffgen``, ``targz``),
``review`` verifies one offline; ``bundleformat`` is the format both share."""
