"""Building, evaluating and shipping the extraction model (``python -m training``); not part of the package."""
