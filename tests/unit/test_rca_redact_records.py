"""Ordinary text that redaction must keep as written, and the one secret in it: PAM's session lines, systemd's
unit instances (``getty@tty1.service``, shaped as an address) and the records of passwd, shadow and group (a
user may be named ``secret`` or ``pass``), whose password field alone may hold a secret -- a hash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
from rca_support import B62
from redact_support import kept_as_written, shown_as

from analytics.rca.redact import redact

PW = "[REDACTED:password]"
HASH = "[REDACTED:password_hash]"


test_each_form_is_redacted_and_the_rest_kept = shown_as(
    [
        ("bob:$6$abc$Qw3rTyUiOp12:19000:0:99999:7:::", f"bob:{HASH}:19000:0:99999:7:::"),
        ("bob:!$y$j9T$abc$Qw3rTy:19000::::::", f"bob:!{HASH}:19000::::::"),
        ("secret:aBcDeFgHiJkLm:1001:1001::/home/secret:/bin/sh", f"secret:{HASH}:1001:1001::/home/secret:/bin/sh"),
        (
            "bob:x:1000:1000:Bob,bob@example.com:/home/bob:/bin/bash",
            "bob:x:1000:1000:Bob,[EMAIL]:/home/bob:/bin/bash",
        ),
        ("x:x:1:1::password=Hunter2x:/bin/sh", f"x:x:1:1::password={PW}:/bin/sh"),  # (each field read as text)
        (
            "x\npass:x:1000:1000::/home/pass:/bin/sh\npassword=Hunter2x",
            f"x\npass:x:1000:1000::/home/pass:/bin/sh\npassword={PW}",
        ),
    ],
    stable=True,
)


test_ordinary_text_is_kept = kept_as_written(
    [
        "pam_unix(sshd:session): session closed for user bob",
        "auth session closed",
        "auth session opened",
        "auth connection lost",
        "getty@tty1.service",
        "user@1000.service",
        "systemd[1]: Started serial-getty@ttyS0.service.",
        "Stopped user@1000.service - User Manager for UID 1000.",
        "Created symlink /etc/systemd/system/getty.target.wants/getty@tty1.service",
        "openvpn@client.conf.service failed",
        "bob:x:1000:1000:Bob,,,:/home/bob:/bin/bash",
        "secret:x:1001:1001::/home/secret:/bin/sh",
        "pass:x:1002:1002:Pass Word,,,:/home/pass:/bin/bash",
        "apikey:x:1003:1003:API key user:/srv/apikey:/usr/sbin/nologin",
        "token:*:19000::::::",
        "root:*LK*:19000::::::",
        "bob:!!:19000:0:99999:7:::",
        "secret:x:1001:",
        "sudo:x:27:bob,alice",
    ]
)


# -- properties ----------------------------------------------------------------------------------------
_UNIT_TYPES = st.sampled_from(["service", "socket", "mount", "target", "timer", "path", "slice", "scope", "swap"])
_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
#: a unit's instance as systemd names them: a terminal, a user's id, a device (tty1, 1000, ttyS0, sda1)
_INSTANCE = st.one_of(
    st.from_regex(r"[a-z]{0,5}[A-Z]?[0-9]{1,4}", fullmatch=True),
    # one that begins with a secret's name: drawn by chance above now and then (a@0.dsn0.service: Succeeded.
    # lost its "Succeeded." as a dsn's value), so drawn on purpose here
    st.builds(
        "{}{}".format, st.sampled_from(["dsn", "pw", "psk", "pin", "token", "pass", "secret"]), st.integers(0, 99)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    template=st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(lambda t: t[0].isalpha()),
    instance=st.lists(_INSTANCE, min_size=1, max_size=3),
    unit_type=_UNIT_TYPES,
    end=st.sampled_from(["", ".", " failed", ": Succeeded."]),
    user=_LABEL,
    tld=st.sampled_from(["com", "org", "net", "io", "de"]),
)
def test_a_systemd_unit_instance_is_no_address_and_an_address_is_one(template, instance, unit_type, end, user, tld):
    """``getty@tty1.service`` is a unit; an address whose host begins with a unit type's word is an address."""
    unit = f"Started {template}@{'.'.join(instance)}.{unit_type}{end}"
    out = redact(f"{unit} (mail to {user}@{unit_type}.{instance[0]}.{tld} sent)").text
    assert out == f"{unit} (mail to [EMAIL] sent)"


#: user names as they may be: any, a secret's word too (a system user named token or pass)
_USER = st.one_of(
    st.sampled_from(["secret", "pass", "passwd", "token", "apikey", "pw", "auth", "psk", "session", "bob"]),
    st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10).filter(lambda u: u[0] != "_"),
)
_GECOS = st.sampled_from(["", "Bob,,,", "API key user", "Pass Word,Room 1,555-1234,,", "systemd Network Management"])
_SHELL = st.sampled_from(["/bin/bash", "/usr/sbin/nologin", "/bin/false", ""])
_MASK = st.sampled_from(["x", "*", "!", "!!", "!*", "*LK*", ""])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user=_USER,
    mask=_MASK,
    uid=st.integers(0, 65534),
    gecos=_GECOS,
    shell=_SHELL,
    kind=st.sampled_from(["passwd", "shadow", "group"]),
)
def test_an_account_record_without_a_hash_is_kept_whole(user, mask, uid, gecos, shell, kind):
    line = {
        "passwd": f"{user}:{mask}:{uid}:{uid}:{gecos}:/home/{user}:{shell}",
        "shadow": f"{user}:{mask}:19000:0:99999:7:::",
        "group": f"{user}:{mask}:{uid}:bob,{user}",
    }[kind]
    assert redact(line).text == line


_SALT = st.text(B62 + "./", min_size=2, max_size=16)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user=_USER,
    scheme=st.sampled_from(["1", "5", "6", "y", "2b", "sha512"]),
    salt=_SALT,
    digest=st.text(B62 + "./", min_size=8, max_size=43),
    lock=st.sampled_from(["", "!"]),
    gecos=_GECOS,
    shadow=st.booleans(),
)
def test_an_account_records_hash_goes_and_the_rest_stays(user, scheme, salt, digest, lock, gecos, shadow):
    hashed = f"${scheme}${salt}${digest}"
    rest = ":19000:0:99999:7:::" if shadow else f":1000:1000:{gecos}:/home/{user}:/bin/bash"
    out = redact(f"{user}:{lock}{hashed}{rest}").text
    assert out == f"{user}:{lock}{HASH}{rest}"
