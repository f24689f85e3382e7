"""Runners execute one attempt of a task call: in containers, in subprocesses, or in-process."""
