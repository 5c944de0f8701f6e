"""Building and evaluating the extraction model from real text (``distillguard train-signals``)."""
