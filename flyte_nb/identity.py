"""Who tasks run as: one uid:gid per kernel that no host account, group or subordinate range has.

Tasks in containers must not share an id with anything on the host: a host process of the same
uid could signal or trace the task, read its call folder and reach its controller socket. A root
kernel (which can chown a call's folder to anyone) draws an unused id from a high range once per
process; a kernel of an ordinary user runs its tasks as itself, the only id whose folders it can
hand over (and that user already controls the kernel).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Where task ids are drawn from: above every range distributions give to accounts, below 2**31.
ID_RANGE = (100_000, 2**31 - 1)


def _subordinate_ranges() -> list[tuple[int, int]]:
    """The ids /etc/subuid and /etc/subgid hand to users' namespaces: a host user owns those too."""
    ranges = []
    for name in ("/etc/subuid", "/etc/subgid"):
        try:
            lines = Path(name).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                ranges.append((int(parts[1]), int(parts[1]) + int(parts[2])))
    return ranges


def is_host_id(number: int) -> bool:
    """Whether a host account or group has this id, or a user's subordinate range holds it."""
    import grp
    import pwd

    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(number)
            return True
        except KeyError:
            pass
    return any(start <= number < end for start, end in _subordinate_ranges())


def unused_id() -> int:
    """One id (used as uid and gid) of this kernel's tasks, drawn at random from ID_RANGE until it is no
    host account's: a host process can then neither signal, trace nor read what the tasks own."""
    import random

    while True:
        number = random.SystemRandom().randrange(*ID_RANGE)
        if not is_host_id(number):
            return number


#: The uid:gid tasks run as (never root). A root kernel (it can chown a call's folder to anyone) uses
#: an id no host account has, drawn per kernel; a kernel of another user runs its tasks as itself,
#: the only id whose folders it can hand over (that user already controls the kernel).
TASK_UID = unused_id() if os.getuid() == 0 else os.getuid()
TASK_GID = TASK_UID if os.getuid() == 0 else os.getgid()
