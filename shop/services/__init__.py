"""Use cases on the database session: they load rows, apply the domain rules, add and flush.

A service never commits; the view or CLI command that called it does, once.
"""
