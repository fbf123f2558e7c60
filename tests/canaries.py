"""Canaries: unique values planted in secret-shaped environment variables, to prove none leaks."""

from __future__ import annotations

import secrets

SECRET_NAMES = (
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DJANGO_SECRET_KEY", "PGPASSWORD", "DATABASE_URL",
    "GOOGLE_APPLICATION_CREDENTIALS", "SENTRY_DSN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN",
    "HF_TOKEN", "STRIPE_SECRET", "REDIS_URL", "PYTHON_KEYRING_PASSWORD", "LC_SECRET_TOKEN",
)


def canaries(*also: str) -> dict[str, str]:
    """A unique value in each secret-shaped variable, and in one with a random name that matches no pattern."""
    names = (*SECRET_NAMES, f"ZQ{secrets.token_hex(4).upper()}", *also)
    return {name: f"canary-{secrets.token_hex(8)}" for name in names}


def leaked(text: str, planted: dict[str, str]) -> list[str]:
    return sorted(name for name, value in planted.items() if value in text)
