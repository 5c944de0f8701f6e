"""The batch scan: fingerprints, links, campaigns and calibrated verdicts (``distillguard scan``)."""
