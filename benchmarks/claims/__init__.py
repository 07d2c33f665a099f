"""The paper's claims: the benchmark that checks them (run.py), the tuning study that chose every model's settings
(tuning.py), the molecular pipeline (molecular.py) and the statistics of the verdicts (verdicts.py)."""
