"""A small pipeline written for the REAL flyte SDK (flyte 2.12), in its idioms, untouched by flyte_nb.

tests/test_compat.py runs it twice: with the real SDK in flyte's local mode, and imported with
flyte_nb standing in for `flyte`, where every task runs in its own Docker container.
"""
