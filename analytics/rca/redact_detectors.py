"""detect-secrets' maintained detectors, run after our own rules (:mod:`analytics.rca.redact`'s step 5): its
regex plugins (cloud, VCS, SaaS token formats) and its keyword detector, called directly through
``analyze_string`` so that no global settings, baseline files or network verification are involved."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from analytics.rca.redact_keys import KEYWORD, PARTIAL, TRIVIAL_VALUE, kept_value, ph

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.keyword import KeywordDetector

    #: detect-secrets' keyword detector and the table of its patterns for config files
    Keyword = tuple[KeywordDetector, dict[re.Pattern[str], int]]


@lru_cache(maxsize=1)
def _detect_secrets_plugins() -> tuple[list[BasePlugin], Keyword | None]:
    """Instantiate detect-secrets' regex plugins (and its keyword detector) once.

    Called directly through ``analyze_string`` so no global detect-secrets settings,
    baseline files or network verification are involved.
    """
    try:
        from detect_secrets.plugins import (
            artifactory,
            aws,
            azure_storage_key,
            basic_auth,
            cloudant,
            discord,
            github_token,
            gitlab_token,
            ibm_cloud_iam,
            ibm_cos_hmac,
            jwt,
            mailchimp,
            npm,
            openai,
            private_key,
            pypi_token,
            sendgrid,
            slack,
            softlayer,
            square_oauth,
            stripe,
            telegram_token,
            twilio,
        )
        from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector
    except Exception:  # noqa: BLE001  # pragma: no cover - detect-secrets missing or changed; our rules still apply
        return [], None
    classes: list[Callable[[], BasePlugin]] = [
        artifactory.ArtifactoryDetector,
        aws.AWSKeyDetector,
        azure_storage_key.AzureStorageKeyDetector,
        basic_auth.BasicAuthDetector,
        cloudant.CloudantDetector,
        discord.DiscordBotTokenDetector,
        github_token.GitHubTokenDetector,
        gitlab_token.GitLabTokenDetector,
        ibm_cloud_iam.IbmCloudIamDetector,
        ibm_cos_hmac.IbmCosHmacDetector,
        jwt.JwtTokenDetector,
        mailchimp.MailchimpDetector,
        npm.NpmDetector,
        openai.OpenAIDetector,
        private_key.PrivateKeyDetector,
        pypi_token.PypiTokenDetector,
        sendgrid.SendGridDetector,
        slack.SlackDetector,
        softlayer.SoftlayerDetector,
        square_oauth.SquareOAuthDetector,
        stripe.StripeDetector,
        telegram_token.TelegramBotTokenDetector,
        twilio.TwilioKeyDetector,
    ]
    plugins: list[BasePlugin] = []
    for cls in classes:
        try:
            plugins.append(cls())
        except Exception:  # noqa: BLE001, S112  # pragma: no cover - a detector that cannot start is left out
            continue
    keyword: Keyword = (KeywordDetector(), CONFIG_DENYLIST_REGEX_TO_GROUP)
    return plugins, keyword


def detect_secrets(s: str, counts: Counter[str]) -> str:
    """Replace what detect-secrets' regex plugins and keyword detector find in ``s`` (each line of it), but
    what our key rules read and left (``token_type=bearer``) and the word password itself."""
    plugins, keyword = _detect_secrets_plugins()
    found: set[str] = set()
    for line in s.splitlines():
        if len(line) > 10_000:
            line = line[:10_000]
        for plugin in plugins:
            try:
                found.update(v for v in plugin.analyze_string(line) if isinstance(v, str))
            except Exception:  # noqa: BLE001, S112  # pragma: no cover - a plugin bug must not stop redaction
                continue
        if keyword is not None:
            detector, table = keyword
            try:
                found.update(
                    v for v in detector.analyze_string(line, denylist_regex_to_group=table) if isinstance(v, str)
                )
            except Exception:  # noqa: BLE001, S110  # pragma: no cover - likewise for the keyword detector
                pass
    for value in sorted(found, key=len, reverse=True):
        value = value.strip("'\" \t=:")  # some plugins return the delimiters they matched around it
        if len(value) < 6 or PARTIAL.search(value) or TRIVIAL_VALUE.match(value):
            continue
        if KEYWORD.fullmatch(value.split(maxsplit=1)[0].rstrip(".,:;!?")):
            continue  # "passwd: password updated": the word password is not a password
        if any(kept_value(line, line.find(value)) for line in s.splitlines() if value in line):
            continue  # "passwd: all authentication tokens updated", token_type=bearer: the key rules left it
        n = s.count(value)
        if n:
            counts["secret"] += n
            s = s.replace(value, ph("secret"))
    return s


__all__ = ["detect_secrets"]
