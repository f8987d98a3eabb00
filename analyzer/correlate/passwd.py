"""The accounts of a passwd file, for the correlator: login <-> uid, and the owner of a
script by its home directory."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import parse_passwd


class Passwd:
    """Accounts of a passwd file (`name:x:uid:gid:gecos:home:shell`): login <-> uid, and
    home directories for the scripts under them."""

    def __init__(self, entries: Iterable[tuple[str, int, str]] = ()):
        self.uid_of: dict[str, int] = {}
        self.name_of: dict[int, str] = {}
        homes = []
        for name, uid, home in entries:
            self.uid_of.setdefault(name, uid)
            self.name_of.setdefault(uid, name)
            home = home.rstrip("/")
            if home.startswith("/") and home.count("/") >= 1 and home not in ("", "/nonexistent"):
                homes.append((home + "/", uid, name))
        self.homes = sorted(homes, key=lambda h: -len(h[0]))

    @classmethod
    def read(cls, path: str) -> Passwd:
        """The accounts of a passwd file (`config.parse_passwd` decides which lines are
        accounts); OSError when it cannot be read."""
        with open(path, encoding="utf-8", errors="replace") as f:
            return cls(parse_passwd(f))

    def resolve(self, row: dict) -> None:
        """Fill `uid` from `user` and `user` from `uid` where the other is known."""
        if row.get("uid") is None:
            if row.get("user") and row["user"] in self.uid_of:
                row["uid"] = self.uid_of[row["user"]]
        elif not row.get("user"):
            name = self.name_of.get(row["uid"])
            if name:
                row["user"] = name

    def owner_of(self, path: str | None) -> tuple[int, str] | None:
        if path:
            for home, uid, name in self.homes:
                if path.startswith(home):
                    return uid, name
        return None

    def __bool__(self) -> bool:
        return bool(self.uid_of)
