"""One rule for what a passwd(5) line is: the reports' user names (`config.read_passwd`)
and the correlator's accounts (`correlate.Passwd`) accept the same lines."""

from analyzer.config import PasswdEntry, parse_passwd, read_passwd
from analyzer.correlate import Passwd

ODD = [
    "# a comment\n",
    "   # an indented comment:x:5:5::/home/c:/bin/sh\n",
    "\n",
    "   \n",
    "root:x:0:0:root:/root:/bin/bash\n",
    "+::::::\n",  # NIS compat: the rest of the map
    "+nis:x:1500:1500::/home/nis:/bin/sh\n",  # NIS: an account named from the map
    "-banned:x:1501:1501::/home/banned:/bin/sh\n",
    "+@webmasters::::::\n",
    "short:x:1002:1002\n",  # missing fields
    "long:x:1003:1003::/home/long:/bin/sh:extra\n",  # too many
    ":x:1004:1004::/home/noname:/bin/sh\n",  # no name
    "text:x:abc:1005::/home/text:/bin/sh\n",  # non-numeric uid
    "neg:x:-1:1006::/home/neg:/bin/sh\n",
    "arabic:x:\u0661\u0662:1007::/home/arabic:/bin/sh\n",  # digits, but not ASCII ones
    "huge:x:99999999999999999999:1008::/home/huge:/bin/sh\n",  # beyond uid_t
    "empty:x::1009::/home/empty:/bin/sh\n",
    "site1017:x:1017:1017:blog-kochen:/home/site1017:/usr/sbin/nologin\r\n",
    "alias:x:1017:1017::/:/bin/false\n",  # a second name of a uid
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",  # no final newline
]
VALID = [
    PasswdEntry("root", 0, "/root"),
    PasswdEntry("site1017", 1017, "/home/site1017"),
    PasswdEntry("alias", 1017, "/"),
    PasswdEntry("nobody", 65534, "/nonexistent"),
]


def test_only_well_formed_accounts_are_read():
    assert parse_passwd(ODD) == VALID


def test_both_readers_take_the_same_lines(tmp_path):
    path = tmp_path / "passwd"
    path.write_text("".join(ODD), encoding="utf-8")
    assert read_passwd(path) == {0: "root", 1017: "site1017", 65534: "nobody"}
    accounts = Passwd.read(str(path))
    assert accounts.uid_of == {"root": 0, "site1017": 1017, "alias": 1017, "nobody": 65534}
    assert accounts.name_of == {0: "root", 1017: "site1017", 65534: "nobody"}
    # the first name of a uid wins in both
    assert accounts.name_of[1017] == read_passwd(path)[1017]
    assert accounts.owner_of("/home/site1017/public_html/x.php") == (1017, "site1017")
    assert accounts.owner_of("/home/nis/x.php") is None
    assert accounts.owner_of("/nonexistent/x.php") is None


def test_a_file_of_odd_lines_only_has_no_accounts(tmp_path):
    path = tmp_path / "passwd"
    path.write_text("+::::::\n# nothing\n\nbroken line\n", encoding="utf-8")
    assert read_passwd(path) == {}
    assert not Passwd.read(str(path))
