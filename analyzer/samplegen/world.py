"""Who exists on and around the simulated server, drawn once from the seed (its own random
stream, so the world does not depend on the traffic): hosted mailboxes, SASL accounts, the
customers' web sites, outbound destinations and the internet MTAs that send mail in;
and how a recipient is picked and routed."""

from __future__ import annotations

import random
from bisect import bisect_left

from .core import SimCore
from .names import (
    FIRST_NAMES,
    HOSTED_DOMAINS,
    LAST_NAMES,
    LEGIT_SCRIPTS,
    PROVIDERS,
    RECEIVE_ONLY,
    SITE_NAMES,
    WORDS,
)


class World(SimCore):
    """The world of the simulation (built by ``_build_world``) and picks from it."""

    def _init_state(self) -> None:
        super()._init_state()
        self._build_world()

    def _build_world(self) -> None:
        w = random.Random(f"postfix-world:{self.seed}")
        wr = w.random
        self.mailboxes = []  # (address, transport)
        for dom, transport, locals_ in HOSTED_DOMAINS:
            for lp in locals_:
                self.mailboxes.append((f"{lp}@{dom}", transport))
        self.mailbox_transport = dict(self.mailboxes)
        self.mailbox_rcpts = [(a, (transport,), "s") for a, transport in self.mailboxes]
        self.postmaster_rcpt = (
            f"postmaster@{self.myhost}",
            ("local", f"root@{self.myhost}", f"postmaster@{self.myhost}"),
            "s",
        )
        self.mailbox_weights = [0.3 + wr() * 3 for _ in self.mailboxes]
        self._mailbox_cum = cumulative(self.mailbox_weights)

        # SASL accounts: every mailbox that sends, except the specially scheduled bakery one
        self.bakery = "info@bakery-berlin.example"
        accounts = []
        for addr, _ in self.mailboxes:
            if addr in RECEIVE_ONLY or addr == self.bakery:
                continue
            n_ips = 1 if wr() < 0.5 else 2
            ips = []
            for _ in range(n_ips):
                if wr() < 0.1:
                    ips.append(("unknown", self.fresh_ipv6(w)))
                else:
                    ip = self.fresh_ipv4(w)
                    a, b, c, d = ip.split(".")
                    name = "unknown" if wr() < 0.3 else f"dslb-{a}-{b}-{c}-{d}.pools.example.net"
                    ips.append((name, ip))
            accounts.append(
                (
                    addr,
                    "PLAIN" if wr() < 0.7 else "LOGIN",
                    "smtps" if wr() < 0.15 else "submission",
                    ips,
                )
            )
        self.accounts = accounts
        self._account_cum = cumulative([0.2 + wr() ** 2 * 4 for _ in accounts])
        office = self.fresh_ipv4(w)
        self.bakery_ips = (
            ("unknown", office),
            (f"mobile-{office.replace('.', '-')}.net.example", self.fresh_ipv4(w)),
        )

        # web sites: uid -> (domain, owner address, scripts)
        self.sites = {}
        hosted = {d for d, _, _ in HOSTED_DOMAINS}
        for i, name in enumerate(SITE_NAMES):
            uid = 1001 + i
            dom = f"{name}.example"
            if dom in hosted:
                owner = next(a for a, _ in self.mailboxes if a.endswith("@" + dom))
            else:
                owner = f"{name.split('-')[0]}.{name.split('-')[-1]}@{PROVIDERS[int(wr() * 3)][0]}"
            # one or two legitimate scripts per site
            first = int(wr() * len(LEGIT_SCRIPTS))
            second = (first + 1 + int(wr() * (len(LEGIT_SCRIPTS) - 1))) % len(LEGIT_SCRIPTS)
            scripts = (
                (LEGIT_SCRIPTS[first],)
                if wr() < 0.6
                else (LEGIT_SCRIPTS[first], LEGIT_SCRIPTS[second])
            )
            self.sites[uid] = (dom, owner, scripts)
        self._site_cum = cumulative([0.2 + wr() ** 2 * 3 for _ in SITE_NAMES])

        # outbound destinations: big providers (heavy) and business domains with own MX
        self.dest = [(d, mx, ip, style) for d, mx, ip, style in PROVIDERS]
        dest_w: list[float] = [9, 6, 5, 5, 4, 2, 2, 1]
        for i in range(120):
            dom = f"{WORDS[int(wr() * len(WORDS))]}-{WORDS[int(wr() * len(WORDS))]}{i}.example"
            self.dest.append((dom, f"mx.{dom}", self.fresh_ipv4(w), "queued"))
            dest_w.append(0.2 + wr() * 0.4)
        self._dest_cum = cumulative(dest_w)
        self.dest_route = {d: ("smtp", mx, ip, style) for d, mx, ip, style in self.dest}

        # internet MTAs that send us mail: (name, ip, helo, sender domain, claimed hostname)
        mtas: list[tuple[str, str, str, str, str | None]] = []
        for i in range(320):
            word = WORDS[int(wr() * len(WORDS))]
            sdom = f"{word}{i}.example.org"
            r = wr()
            if r < 0.1:
                ip = self.fresh_ipv6(w)
                name = f"mail-{word}{i}.example.net"
                mtas.append((name, ip, name, sdom, None))
            elif r < 0.25:
                ip = self.fresh_ipv4(w)
                claimed = f"mail.{word}{i}.example.net" if wr() < 0.5 else None
                mtas.append(("unknown", ip, claimed or f"[{ip}]", sdom, claimed))
            else:
                ip = self.fresh_ipv4(w)
                name = (
                    f"mail-{word}{i}.example.net"
                    if r < 0.7
                    else f"mx{1 + int(wr() * 4)}.{word}{i}.example.com"
                )
                mtas.append((name, ip, name, sdom, None))
        # + precomputed "name[ip]", identity and anvil key
        self.mtas = [m + (f"{m[0]}[{m[1]}]", f"ip:{m[1]}", f"smtp:{m[1]}") for m in mtas]
        self._mta_cum = cumulative([1.0 / (1 + i) ** 0.8 for i in range(len(self.mtas))])

    def mailbox(self) -> str:
        return self.mailboxes[pick_cum(self._mailbox_cum, self.rng.random())][0]

    def external_rcpt(self, rng: random.Random | None = None, wide: bool = False) -> tuple:
        """(address, route) for an outbound recipient; ``wide`` draws from a much larger,
        mostly unseen set of domains (spam runs)."""
        r = (rng or self.rng).random
        if wide and r() < 0.6:
            dom = f"{WORDS[int(r() * len(WORDS))]}{WORDS[int(r() * len(WORDS))]}{int(r() * 900)}.example"
            route = (
                "smtp",
                f"mx.{dom}",
                f"198.{18 + int(r() * 2)}.{int(r() * 256)}.{1 + int(r() * 254)}",
                "queued",
            )
        else:
            d = self.dest[pick_cum(self._dest_cum, r())]
            dom, route = d[0], ("smtp", d[1], d[2], d[3])
        lp = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        x = r()
        if x < 0.4:
            lp = f"{lp}.{LAST_NAMES[int(r() * len(LAST_NAMES))]}"
        elif x < 0.8:
            lp = f"{lp}{int(r() * 2000)}"
        return f"{lp}@{dom}", route

    def route_to(self, addr: str) -> tuple:
        """Route for a known address: a hosted mailbox (lmtp/virtual), a unix user of this
        host (local) or a known destination domain (smtp)."""
        transport = self.mailbox_transport.get(addr)
        if transport is not None:
            return (transport,)
        domain = addr.rsplit("@", 1)[1]
        if domain == self.myhost:
            return ("local", addr, None)
        return self.dest_route[domain]


def cumulative(weights: list[float]) -> list[float]:
    total = sum(weights)
    acc = 0.0
    out = []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def pick_cum(cum: list[float], x: float) -> int:
    return bisect_left(cum, x)
