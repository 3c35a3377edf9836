"""What the services refuse, in their own terms. No status codes here: api/errors.py maps each kind to
HTTP, in one table."""

from __future__ import annotations


class DomainError(Exception):
    """A request the service cannot answer, for a reason the client can act on; str(exc) is the message."""


# -- who is asking -------------------------------------------------------------------------------------
class InvalidCredentials(DomainError):
    """No usable credentials: no or a malformed Authorization header, a wrong password, a token that is
    invalid, expired or names an unknown user."""


class TokenRevoked(InvalidCredentials):
    def __init__(self) -> None:
        super().__init__("Token has been revoked")


class InactiveUser(DomainError):
    def __init__(self) -> None:
        super().__init__("This user account is disabled")


class LoginThrottled(DomainError):
    """Too many failed logins for this account, address or pair; the next try is allowed in ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed login attempts; try again later")
        self.retry_after = retry_after


# -- what the published run holds ----------------------------------------------------------------------
class NoRunPublished(DomainError):
    """No valid run is loaded yet (none published, or every one published so far was refused)."""


class RunNotFound(DomainError):
    """``?run_id=`` names a run the store does not keep (never published, or pruned)."""


class RunFileNotFound(DomainError):
    pass


class RunStoreUnavailable(DomainError):
    """The run store cannot be read right now (its database or folder); the client may retry."""


# The run being served has no such horizon, model, chart or importance table; the message says which
# run and, where short, what it has instead.
class AssetNotFound(DomainError):
    """``?asset=`` names an asset the run does not hold."""


class HorizonNotFound(DomainError):
    pass


class ModelNotFound(DomainError):
    pass


class ImageNotFound(DomainError):
    pass


class FeatureImportanceNotFound(DomainError):
    pass
