"""D and what it costs: the training budget, the corpus it draws on, compute, time and money."""
