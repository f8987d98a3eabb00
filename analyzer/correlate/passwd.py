"""The accounts of a passwd file, for the correlator: login <-> uid, and the owner of a
script by its home directory."""

from __future__ import annotations


class Passwd:
    """Accounts of a passwd file (`name:x:uid:gid:gecos:home:shell`): login <-> uid, and
    home directories for the scripts under them."""

    def __init__(self, entries: list[tuple[str, int, str]] = ()):
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
        entries = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 7 and parts[2].isdigit() and not line.startswith("#"):
                    entries.append((parts[0], int(parts[2]), parts[5]))
        return cls(entries)

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
