"""The portal-account lifecycle: the one place that says which status may follow which."""

from .models import AccountStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.ACTIVE, S.DEACTIVATED}),  # created on the portal, or the request withdrawn
    S.ACTIVE: frozenset({S.SUSPENDED, S.DEACTIVATION_PENDING}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.DEACTIVATION_PENDING}),
    S.DEACTIVATION_PENDING: frozenset({S.DEACTIVATED}),
    S.DEACTIVATED: frozenset(),  # final: a returning person gets a new account request
}


class InvalidTransition(Exception):
    pass


def check_transition(current: str, target: str) -> None:
    if target not in S.values:
        raise InvalidTransition(f"'{target}' is not an account status.")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(S(t).label.lower() for t in sorted(TRANSITIONS[current])) or "nothing (it is final)"
        raise InvalidTransition(
            f"A {S(current).label.lower()} account cannot become {S(target).label.lower()}; "
            f"from {S(current).label.lower()} it can only become: {allowed}."
        )


def allowed_next(current: str) -> list[str]:
    return sorted(TRANSITIONS[current])
