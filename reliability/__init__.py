"""Reliability checks for the shop, run by ``make reliability`` (``python -m reliability``).

The scenarios live here so that the tests in ``tests/reliability`` and the script share
them: a crash of the whole server in the middle of a busy counter (:mod:`.crash`), many
counters selling the same things at once (:mod:`.concurrency`), hostile text in every
free-text field (:mod:`.hostile`), one member reading another's papers (:mod:`.access`)
and whether a backup restores (:mod:`.backup`).
"""
