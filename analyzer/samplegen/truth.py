"""The ground truth of a run, from the counters kept where the lines are written: lines
per program, messages by origin, deliveries, rejects, AUTH failures, the reused queue id,
the incidents, the top identities and the content filter's hops."""

from __future__ import annotations

from .incidents import Incidents


class Truth(Incidents):
    """The truth dict."""

    def _truth(self) -> dict:
        inc = {}
        st = self._inc_state.get("sasl")
        inc["compromised_sasl"] = (
            None
            if st is None
            else {
                "sasl_username": self.bakery,
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "messages": st["messages"],
                "client_ips": len(st["ips"]),
                "messages_total_day": st["day_total"],
                "recipients": st["recipients"],
                "recipient_domains": len(st["domains"]),
                "delivery_status": dict(st["status"]),
            }
        )
        st = self._inc_state.get("php")
        inc["php_script"] = (
            None
            if st is None
            else {
                "uid": 1017,
                "script": "wp-xmlrpc-cache.php",
                "script_path": f"/home/site1017/public_html/wp-content/uploads/{self.start:%Y/%m}/wp-xmlrpc-cache.php",
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "messages": st["messages"],
                "recipients": st["recipients"],
                "recipient_domains": len(st["domains"]),
                "delivery_status": dict(st["status"]),
            }
        )
        st = self._inc_state.get("relay")
        inc["relay_spike"] = (
            None
            if st is None
            else {
                "client_ip": "127.0.0.1",
                "sender": "shop@shop-anna.example",
                "sender_domain": "shop-anna.example",
                "start": self.iso(st["start"]),
                "end": self.iso(st["end"]),
                "count": st["local"],
                "internet_count_in_hour": st["internet"],
            }
        )
        st = self._inc_state.get("brute")
        inc["brute_force"] = (
            None
            if st is None
            else {
                "client_ip": st["ip"],
                "failures": st["failures"],
                "usernames": len(st["users"]),
                "start": self.iso(st["first"]),
                "end": self.iso(st["last"]),
                "succeeded_later_as": "office@shop-anna.example",
                "success_at": self.iso(st["success_at"]),
                "messages_after": st["after"],
            }
        )
        top = sorted(self.identities.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        truth = {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.iso(self.t_end),
            "host": self.host,
            "lines": self.lines,
            "lines_by_program": dict(sorted(self.prog_counts.items())),
            "messages": {"total": sum(self.origins.values()), "by_origin": dict(self.origins)},
            "deliveries": {**self.deliveries, "expired_messages": self.expired},
            "rejects": {
                "total": sum(self.reject_classes.values()),
                "by_class": dict(self.reject_classes),
                "postscreen": self.postscreen_rejects,
            },
            "auth_failures": {"total": self.auth_failures},
            "reused_queue_id": self.reused_qid if self._reuse_done else None,
            "incidents": inc,
            "top_senders_by_identity": [{"identity": k, "messages": v} for k, v in top],
            # of those, the bounce notices (to local senders: not outgoing); Postfix only
            **(
                {"bounce_notices_by_identity": dict(sorted(self.notices.items()))}
                if self.notices
                else {}
            ),
        }
        if self.reinjected:  # the Postfix server's amavis (the other MTAs' runs have none)
            truth["content_filter"] = {
                "handover": "127.0.0.1:10024",
                "reinjection": "127.0.0.1:10025",
                "reinjected_messages": self.reinjected,
                "handover_deliveries": self.filter_handovers,
            }
        return truth
