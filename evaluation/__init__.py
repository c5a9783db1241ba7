"""The tools that measure and fit the service, kept out of the service package: `python -m evaluation.evaluate`
(retrieval, abstention and answers on the dev and test question sets), `python -m evaluation.calibrate` (the
cross-validated fit of the retrieval calibration, stored with the index) and `python -m
evaluation.evaluate_conversations` (follow-up conversations replayed through the answering core). They read the
question sets in `eval/` and write their reports to `bench/`; the service never imports them.
"""
