"""Account use cases: activation, login with a second factor, lockout, devices, password change.

SPEC §1.3 (R-LC-10..13), R-LC-4 (expired code is a distinct state), R-LC-12 (login, devices), R-DEL-2.

Every write runs in one transaction and is traced through ``carnet.audit.services.trace`` inside it.
Refusals are ``DomainError``s carrying a French message; identification and password failures use
one generic message whatever went wrong, so nobody learns whether a person, a code or an account exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock, throttle
from carnet.common.actors import Actor
from carnet.common.device_hooks import device_ended
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.users import actor_for_user
from carnet.identity.hashing import vitale_matches
from carnet.identity.models import Person, Professional
from carnet.notifications.services import notify
from carnet.spaces import codes as space_codes
from carnet.spaces.models import HealthSpace, ProvisionalCode, SpaceStatus
from carnet.spaces.services import provisional_code_find, provisional_code_is_expired, space_activate

from . import selectors
from .crypto import secret_decrypt, secret_encrypt
from .models import Device, LoginChallenge, OtpChannel, Role, User
from .useragent import device_label
from .validators import validate_username

# --- messages (one generic text per step: they never say which input was wrong) -----------------

IDENTIFICATION_REFUSED = _(
    "Les informations saisies ne permettent pas de vous identifier. Vérifiez-les ou demandez un nouveau code."
)
TRY_LATER = _("Trop de tentatives : réessayez plus tard.")
CODE_EXPIRED = _("Votre code provisoire a expiré.")
LOGIN_REFUSED = _("Identifiant ou mot de passe incorrect.")
OTP_WRONG = _("Le code saisi est incorrect.")
OTP_EXPIRED = _("Ce code a expiré. Demandez un nouveau code.")
OTP_EXHAUSTED = _("Trop d'essais pour ce code. Demandez un nouveau code.")
USERNAME_TAKEN = _("Cet identifiant existe déjà.")

# Spaces that may be activated (mirrors ``spaces.services.space_activate``, checked early so step 1
# of the activation answers with the generic refusal instead of failing at step 2).
ACTIVABLE = {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED, SpaceStatus.OPPOSED}
# Patients may log in only to an activated space; a closed one may be reopened once fully logged in (R-LC-23).
LOGIN_ALLOWED = {SpaceStatus.ACTIVATED, SpaceStatus.CLOSED}

TOTP_CHANNEL = "TOTP"
TOTP_CHALLENGE_SECONDS = 10 * 60  # time to open the authenticator app (or to enrol one)
RESEND_MIN_SECONDS = 30  # R-LC-12 [I]: "renvoyer un code" at most every 30 s ...
RESEND_WINDOW_SECONDS = 15 * 60  # ... and at most RESEND_MAX_CODES codes per 15 minutes
RESEND_MAX_CODES = 5


def _lockout_threshold() -> int:
    return int(settings.CARNET_LOCKOUT_THRESHOLD)


def _lockout_delta() -> timedelta:
    return timedelta(minutes=int(settings.CARNET_LOCKOUT_MINUTES))


def _refused_try_later(message: Any, code: str, field: str | None = None) -> DomainError:
    return DomainError(f"{message} {TRY_LATER}", code=code, field=field)


def patient_chain_of(user: User) -> int | None:
    """Whose audit chain records this account's login events: the person's for patients, else the system's."""
    return user.person_id if user.role == Role.PATIENT else None


# --- activation (R-LC-10, R-LC-11, R-LC-13, R-LC-4) -----------------------------------------------


def activation_identify(
    *, code: str, nir: str, vitale_serial: str, birth_date: date, ip: str
) -> ProvisionalCode:
    """Step 1 of activation (R-LC-10): the four inputs must match one live code of an activable space.

    Any mismatch raises the same ``IDENTIFICATION_REFUSED`` (code ``identification_refused``), whatever the
    input at fault and whether the person exists. Exception (R-LC-4): when NIR, carte Vitale and birth date
    match a person and the code is one of his own but expired, ``code_expired`` is raised. Failures are
    counted per IP address and per NIR (``CARNET_LOCKOUT_THRESHOLD`` in ``CARNET_LOCKOUT_MINUTES``); past the
    limit every attempt is refused with the generic message plus "réessayez plus tard".

    ``nir`` and ``vitale_serial`` are expected normalised (the form validates their format).
    """
    window = int(_lockout_delta().total_seconds())
    limit = _lockout_threshold()
    ip_id, nir_id = throttle.hashed("ip", ip), throttle.hashed("nir", nir)
    if throttle.exceeded("activation-ip", ip_id, limit=limit, window_seconds=window) or throttle.exceeded(
        "activation-nir", nir_id, limit=limit, window_seconds=window
    ):
        raise _refused_try_later(IDENTIFICATION_REFUSED, "identification_throttled")

    entry = provisional_code_find(code)
    person: Person | None = entry.space.person if entry is not None else None
    # The vitale HMAC runs whether or not a code was found (no timing difference).
    vitale_ok = vitale_matches(vitale_serial, person.vitale_serial_hash if person else "x" * 64)
    if (
        entry is not None
        and person is not None
        and vitale_ok
        and hmac.compare_digest(person.ins_matricule.upper(), nir.upper())
        and person.birth_date == birth_date
        and entry.space.status in ACTIVABLE
        and not User.objects.filter(person=person).exists()
    ):
        return entry

    if _expired_code_of(code=code, nir=nir, vitale_serial=vitale_serial, birth_date=birth_date):
        raise DomainError(CODE_EXPIRED, code="code_expired", field="code")

    throttle.hit("activation-ip", ip_id, window_seconds=window)
    count = throttle.hit("activation-nir", nir_id, window_seconds=window)
    if count >= limit:
        raise _refused_try_later(IDENTIFICATION_REFUSED, "identification_throttled")
    raise DomainError(IDENTIFICATION_REFUSED, code="identification_refused")


def _expired_code_of(*, code: str, nir: str, vitale_serial: str, birth_date: date) -> bool:
    """R-LC-4: true only when the identity fully matches and ``code`` is that person's expired code."""
    person = Person.objects.filter(ins_matricule=nir.upper()).first()
    if (
        person is None
        or person.birth_date != birth_date
        or not vitale_matches(vitale_serial, person.vitale_serial_hash)
    ):
        return False
    if not provisional_code_is_expired(code):
        return False
    return ProvisionalCode.objects.filter(
        code_hash=space_codes.hash_code(code), patient_id=person.pk
    ).exists()


def otp_channels_for(person: Person) -> list[tuple[str, str]]:
    """The one-time-code channels a person can use: only those the insurance register knows."""
    channels: list[tuple[str, str]] = []
    if person.email:
        channels.append((OtpChannel.EMAIL.value, str(_("Par e-mail"))))
    if person.phone:
        channels.append((OtpChannel.SMS.value, str(_("Par SMS"))))
    return channels


def credentials_errors(
    *, username: str, password: str, password_confirm: str, person: Person | None
) -> dict[str, list[str]]:
    """R-LC-11: every problem with a chosen username and password, by field (empty dict when all is fine)."""
    errors: dict[str, list[str]] = {}
    try:
        validate_username(username)
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    else:
        if User.objects.filter(username=username).exists():
            errors["username"] = [str(USERNAME_TAKEN)]
    try:
        validate_password(password, user=User(username=username, person=person))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if password != password_confirm:
        errors["password_confirm"] = [str(_("Les deux mots de passe saisis ne sont pas identiques."))]
    return errors


def _raise_first(errors: dict[str, list[str]], code: str) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        raise DomainError(" ".join(messages), code=code, field=field)


def account_activate(
    *,
    code_entry_id: int,
    username: str,
    password: str,
    password_confirm: str,
    otp_channel: str,
    cgu_accepted: bool,
) -> User:
    """Step 2 of activation (R-LC-11, R-LC-13): create the patient's account and activate his space.

    ``code_entry_id`` is the provisional code verified at step 1 (kept in the session, never in a URL).
    In one transaction: the User is created, ``space_activate`` spends the code and records the CGU
    acceptance, and ``ACCOUNT_CREATED`` is traced. Any error leaves nothing written.
    """
    entry = (
        ProvisionalCode.objects.select_related("space", "space__person")
        .filter(pk=code_entry_id, used_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if entry is None or entry.expires_at <= clock.now() or entry.space.status not in ACTIVABLE:
        raise DomainError(IDENTIFICATION_REFUSED, code="identification_refused")
    person = entry.space.person
    if User.objects.filter(person=person).exists():
        raise DomainError(IDENTIFICATION_REFUSED, code="identification_refused")
    _raise_first(
        credentials_errors(
            username=username, password=password, password_confirm=password_confirm, person=person
        ),
        "credentials_invalid",
    )
    if otp_channel not in {value for value, _label in otp_channels_for(person)}:
        raise DomainError(
            _("Choisissez comment recevoir vos codes de connexion."),
            code="otp_channel_invalid",
            field="otp_channel",
        )
    if not cgu_accepted:
        raise DomainError(
            _("Vous devez accepter les conditions générales d'utilisation."), code="cgu_required", field="cgu"
        )

    now = clock.now()
    user = User(
        username=username,
        role=Role.PATIENT,
        person=person,
        otp_channel=otp_channel,
        date_joined=now,
        preferred_language="fr",
    )
    user.set_password(password)  # argon2, outside the transaction (slow on purpose)
    try:
        with transaction.atomic():
            user.save()
            actor = actor_for_user(user)
            space_activate(space=entry.space, actor=actor, code=entry)
            trace(
                actor=actor,
                action="ACCOUNT_CREATED",
                patient_id=person.pk,
                object_type="account",
                object_id=str(user.public_id),
                details={"otp_channel": otp_channel, "cgu_accepted_at": now.isoformat()},
            )
    except IntegrityError as exc:  # a concurrent activation took the username (or the person)
        raise DomainError(USERNAME_TAKEN, code="username_taken", field="username") from exc
    return user


# --- login, step 1: username + password (R-LC-12) -------------------------------------------------

_dummy_hash: str | None = None


def _dummy_password_check(password: str) -> None:
    """Unknown usernames cost one argon2 verification too: same time, same answer."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password(secrets.token_urlsafe(16))
    check_password(password, _dummy_hash)


@dataclass
class _LockState:
    failures: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def fail(self, now: datetime) -> bool:
        """Count one failure; returns True when this failure locks (R-LC-12 [I])."""
        if self.locked_until is not None and self.locked_until <= now:
            self.locked_until = None
        self.failures += 1
        if self.failures >= _lockout_threshold():
            self.failures = 0
            self.locked_until = now + _lockout_delta()
            return True
        return False


def _unknown_state_key(username: str) -> str:
    return "carnet:lock:" + throttle.hashed("username", username)


def _unknown_state(username: str) -> _LockState:
    """Unknown usernames go through the same lock state machine (kept in the cache): their answers,
    including "réessayez plus tard" after the fifth failure, are those of a real account."""
    from carnet.common.cache import counters as cache  # the database cache while Redis is unreachable

    raw = cache.get(_unknown_state_key(username)) or {}
    until = raw.get("locked_until")
    return _LockState(int(raw.get("failures", 0)), datetime.fromisoformat(until) if until else None)


def _unknown_state_save(username: str, state: _LockState) -> None:
    from carnet.common.cache import counters as cache  # the database cache while Redis is unreachable

    value = {
        "failures": state.failures,
        "locked_until": state.locked_until.isoformat() if state.locked_until else None,
    }
    cache.set(_unknown_state_key(username), value, timeout=int(_lockout_delta().total_seconds()) * 4)


def _trace_login_failed(*, user: User | None, reason: str, locked: bool) -> None:
    """LOGIN_FAILED on the person's chain for patients, else on the system chain (caller's transaction)."""
    details: dict[str, Any] = {"reason": reason, "locked": locked}
    if user is not None:
        details["account"] = str(user.public_id)
    trace(
        actor=Actor.system("login"),
        action="LOGIN_FAILED",
        patient_id=patient_chain_of(user) if user is not None else None,
        object_type="account" if user is not None else "",
        object_id=str(user.public_id) if user is not None else "",
        outcome="DENY",
        details=details,
    )


def _register_failure(user: User, *, reason: str) -> bool:
    """Count a failed password or second factor for ``user``; lock at the threshold. Returns locked."""
    now = clock.now()
    with transaction.atomic():
        fresh = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        state = _LockState(fresh.failed_logins, fresh.locked_until)
        locked = state.fail(now)
        User.objects.filter(pk=user.pk).update(failed_logins=state.failures, locked_until=state.locked_until)
        user.failed_logins, user.locked_until = state.failures, state.locked_until
        _trace_login_failed(user=user, reason=reason, locked=locked)
    return locked


def login_authenticate(*, username: str, password: str, ip: str) -> User:
    """Step 1 of login (R-LC-12): returns the user whose password matches, else raises ``login_refused``.

    Unknown usernames, wrong passwords, locked accounts and spaces that may not be logged into all answer
    with ``LOGIN_REFUSED`` (plus "réessayez plus tard" when locked or throttled), after the same argon2 work.
    ``CARNET_LOCKOUT_THRESHOLD`` consecutive failures lock the account ``CARNET_LOCKOUT_MINUTES`` minutes;
    more than ``CARNET_IP_THROTTLE_PER_MINUTE`` attempts a minute from one IP address are refused.
    """
    now = clock.now()
    name = (username or "").strip().lower()
    if (
        throttle.hit("login-ip", throttle.hashed("ip", ip), window_seconds=60)
        > settings.CARNET_IP_THROTTLE_PER_MINUTE
    ):
        _dummy_password_check(password)
        raise _refused_try_later(LOGIN_REFUSED, "login_throttled")

    user = (
        User.objects.select_related("person", "professional").filter(username=name, is_active=True).first()
        if name
        else None
    )
    if user is None:
        _dummy_password_check(password)
        state = _unknown_state(name)
        if state.locked(now):
            raise _refused_try_later(LOGIN_REFUSED, "login_locked")
        locked = state.fail(now)
        _unknown_state_save(name, state)
        with transaction.atomic():
            _trace_login_failed(user=None, reason="credentials", locked=False)
        if locked:
            raise _refused_try_later(LOGIN_REFUSED, "login_locked")
        raise DomainError(LOGIN_REFUSED, code="login_refused")

    password_ok = user.check_password(password)
    if user.locked_until is not None and user.locked_until > now:
        with transaction.atomic():
            _trace_login_failed(user=user, reason="locked", locked=True)
        raise _refused_try_later(LOGIN_REFUSED, "login_locked")
    if not password_ok:
        if _register_failure(user, reason="password"):
            raise _refused_try_later(LOGIN_REFUSED, "login_locked")
        raise DomainError(LOGIN_REFUSED, code="login_refused")
    if user.role == Role.PATIENT:
        space = (
            HealthSpace.objects.filter(person_id=user.person_id).only("status").first()
            if user.person_id is not None
            else None
        )
        if space is None or space.status not in LOGIN_ALLOWED:
            with transaction.atomic():
                _trace_login_failed(user=user, reason="space_status", locked=False)
            raise DomainError(LOGIN_REFUSED, code="login_refused")
    return user


# --- login, step 2: second factor ------------------------------------------------------------------


def _otp_hash(challenge: LoginChallenge, code: str) -> str:
    """HMAC of a one-time code, bound to its challenge (the same code in two challenges hashes apart)."""
    key = hashlib.sha256(("login-otp|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{challenge.public_id}|{code}".encode(), hashlib.sha256).hexdigest()


def _recent_codes(user: User) -> list[LoginChallenge]:
    since = clock.now() - timedelta(seconds=RESEND_WINDOW_SECONDS)
    return list(
        LoginChallenge.objects.filter(user=user, created_at__gt=since)
        .exclude(channel=TOTP_CHANNEL)
        .order_by("-created_at")
    )


def login_challenge_start(*, user: User) -> LoginChallenge:
    """Open the second factor of a login whose password was right (R-LC-12).

    Patients: a 6-digit code, stored as an HMAC, sent through the outbox to the chosen channel (e-mail or
    SMS, the other one when the chosen address is missing), valid ``CARNET_OTP_TTL_SECONDS``.
    Professionals and operators: a TOTP step (their authenticator app), nothing is sent.
    """
    now = clock.now()
    if user.role != Role.PATIENT:
        return LoginChallenge.objects.create(
            user=user,
            channel=TOTP_CHANNEL,
            created_at=now,
            expires_at=now + timedelta(seconds=TOTP_CHALLENGE_SECONDS),
        )
    if len(_recent_codes(user)) >= RESEND_MAX_CODES:
        raise _refused_try_later(_("Trop de codes ont été demandés."), "otp_rate_limited")
    person = user.person
    assert person is not None  # the database constraint accounts_patient_has_person
    ttl = int(settings.CARNET_OTP_TTL_SECONDS)
    channel, address = (
        (OtpChannel.EMAIL, person.email)
        if user.otp_channel == OtpChannel.EMAIL
        else (OtpChannel.SMS, person.phone)
    )
    if not address:
        channel, address = (
            (OtpChannel.SMS, person.phone) if person.phone else (OtpChannel.EMAIL, person.email)
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        challenge = LoginChallenge(
            user=user, channel=channel, created_at=now, expires_at=now + timedelta(seconds=ttl)
        )
        challenge.code_hash = _otp_hash(challenge, code)
        challenge.save()
        notify(
            patient_id=person.pk,
            channel=channel,
            address=address,
            template="login_code",
            params={"code": code, "minutes": str(max(1, ttl // 60))},
            dedup_key=selectors.login_code_dedup_key(challenge),
        )
        trace(
            actor=Actor.system("login"),
            action="LOGIN_CODE_SENT",
            patient_id=person.pk,
            object_type="account",
            object_id=str(user.public_id),
            details={"channel": channel},
        )
    return challenge


def login_code_resend(*, user: User, previous: LoginChallenge | None) -> LoginChallenge:
    """ "Renvoyer un code": a new challenge replaces the previous one (rate limited, R-LC-12 [I])."""
    recent = _recent_codes(user)
    if recent and (clock.now() - recent[0].created_at).total_seconds() < RESEND_MIN_SECONDS:
        raise DomainError(
            _("Un code vient de vous être envoyé. Patientez quelques secondes avant d'en demander un autre."),
            code="otp_resend_too_soon",
        )
    challenge = login_challenge_start(user=user)
    if previous is not None and previous.used_at is None:
        LoginChallenge.objects.filter(pk=previous.pk, used_at__isnull=True).update(expires_at=clock.now())
    return challenge


def _totp_for(user: User) -> pyotp.TOTP:
    return pyotp.TOTP(secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id)))


def _totp_step(user: User, code: str, at: datetime) -> int | None:
    """The matching TOTP time step (30 s, one step of tolerance each side), or None."""
    totp = _totp_for(user)
    if not totp.verify(code, for_time=at, valid_window=1):
        return None
    current = totp.timecode(at)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def login_challenge_verify(*, user: User, challenge_id: str, code: str) -> User:
    """Check the second factor (R-LC-12); returns the user, else raises.

    Codes: ``otp_wrong`` (counted towards the lockout), ``otp_expired``, ``otp_exhausted`` (more than
    ``CARNET_OTP_MAX_ATTEMPTS`` tries on this challenge) and ``login_locked`` (the account is locked:
    the login must start again). TOTP codes are checked at ``clock.now()`` and never accepted twice; the
    first accepted code of a professional or operator confirms his enrolment.
    """
    now = clock.now()
    code = "".join((code or "").split())
    outcome = "ok"
    locked = False
    with transaction.atomic():
        challenge = (
            LoginChallenge.objects.select_for_update(of=("self",))
            .filter(public_id=challenge_id, user_id=user.pk)
            .first()
        )
        fresh = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        if challenge is None:
            outcome = "expired"
        elif fresh.locked_until is not None and fresh.locked_until > now:
            outcome = "locked"
        elif challenge.used_at is not None or challenge.expires_at <= now:
            outcome = "expired"
        elif challenge.attempts >= settings.CARNET_OTP_MAX_ATTEMPTS:
            outcome = "exhausted"
        else:
            challenge.attempts += 1
            step: int | None = None
            if challenge.channel == TOTP_CHANNEL:
                step = (
                    _totp_step(fresh, code, now) if code.isdigit() and fresh.totp_secret_encrypted else None
                )
                ok = step is not None and step > (
                    fresh.totp_last_step if fresh.totp_last_step is not None else -1
                )
            else:
                ok = code.isdigit() and hmac.compare_digest(challenge.code_hash, _otp_hash(challenge, code))
            if ok:
                challenge.used_at = now
                if step is not None:
                    fresh.totp_last_step = step
                    if not fresh.totp_confirmed:
                        fresh.totp_confirmed = True
                        trace(
                            actor=actor_for_user(fresh),
                            action="TOTP_ENROLLED",
                            patient_id=None,
                            object_type="account",
                            object_id=str(fresh.public_id),
                        )
                    fresh.save(update_fields=["totp_last_step", "totp_confirmed"])
            else:
                outcome = "wrong"
            challenge.save(update_fields=["attempts", "used_at"])
    if outcome == "wrong":
        locked = _register_failure(user, reason="second_factor")
    if outcome == "locked" or locked:
        raise _refused_try_later(LOGIN_REFUSED, "login_locked")
    if outcome == "wrong":
        raise DomainError(OTP_WRONG, code="otp_wrong", field="code")
    if outcome == "expired":
        raise DomainError(OTP_EXPIRED, code="otp_expired", field="code")
    if outcome == "exhausted":
        raise DomainError(OTP_EXHAUSTED, code="otp_exhausted", field="code")
    user.refresh_from_db()
    return user


def totp_enrolment_secret(*, user: User) -> str:
    """The TOTP secret a professional or operator enrols in his app (created once, encrypted at rest)."""
    if user.role == Role.PATIENT or user.totp_confirmed:
        raise DomainError(_("Aucun enrôlement n'est attendu pour ce compte."), code="totp_not_expected")
    if user.totp_secret_encrypted:
        return secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id))
    secret = pyotp.random_base32()
    with transaction.atomic():
        user.totp_secret_encrypted = secret_encrypt(secret, context=str(user.public_id))
        user.save(update_fields=["totp_secret_encrypted"])
        trace(
            actor=actor_for_user(user),
            action="TOTP_SECRET_CREATED",
            patient_id=None,
            object_type="account",
            object_id=str(user.public_id),
        )
    return secret


def totp_provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Carnet")


# --- login completion, logout, devices (R-LC-12) ------------------------------------------------


def login_complete(*, user: User, session_key: str, user_agent: str) -> Device:
    """After both factors and ``django.contrib.auth.login``: enrol the browser as a Device, reset the
    failure counter, trace ``LOGIN`` (person's chain for patients, system chain for staff)."""
    now = clock.now()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None
        device = Device.objects.create(
            user=user,
            label=device_label(user_agent)[:120],
            session_key=session_key,
            created_at=now,
            last_seen_at=now,
        )
        trace(
            actor=actor_for_user(user),
            action="LOGIN",
            patient_id=patient_chain_of(user),
            object_type="device",
            object_id=str(device.public_id),
            details={"device": device.label},
        )
    return device


def logout_record(*, user: User, device: Device | None) -> None:
    """Logout: the device's session is marked ended (its session itself is flushed by the view)."""
    if device is None or device.user_id != user.pk:
        return
    with transaction.atomic():
        Device.objects.filter(pk=device.pk, ended_at__isnull=True).update(ended_at=clock.now())
        device_ended(device.pk)  # its push subscription, its offline summary choice
        trace(
            actor=actor_for_user(user),
            action="LOGOUT",
            patient_id=patient_chain_of(user),
            object_type="device",
            object_id=str(device.public_id),
        )


def _delete_session(session_key: str) -> None:
    if not session_key:
        return
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    store(session_key=session_key).delete()


def device_revoke(*, user: User, device: Device) -> Device:
    """R-LC-12: revoke one of the user's devices; its session is deleted, so that browser is logged out
    at its next request. Another user's device answers like a missing one."""
    if device.user_id != user.pk:
        raise NotFoundOrForbidden(_("Cet appareil est introuvable."), code="device_not_found")
    with transaction.atomic():
        now = clock.now()
        if device.revoked_at is None:
            device.revoked_at = now
            device.save(update_fields=["revoked_at"])
        _delete_session(device.session_key)
        device_ended(device.pk)  # its push subscription, its offline summary choice
        trace(
            actor=actor_for_user(user),
            action="DEVICE_REVOKED",
            patient_id=patient_chain_of(user),
            object_type="device",
            object_id=str(device.public_id),
        )
    return device


def devices_revoke_all(*, user: User, except_current: Device | None) -> int:
    """R-LC-12 (``deleteAllEnrolledDevices``): revoke every active device but the current one."""
    devices = Device.objects.filter(user=user, revoked_at__isnull=True, ended_at__isnull=True)
    if except_current is not None:
        devices = devices.exclude(pk=except_current.pk)
    count = 0
    with transaction.atomic():
        for device in devices.select_for_update(of=("self",)):
            device_revoke(user=user, device=device)
            count += 1
    return count


# --- password change (R-LC-11, R-DEL-2) ------------------------------------------------------------


def password_change_errors(
    *, user: User, current_password: str, new_password: str, new_password_confirm: str
) -> dict[str, list[str]]:
    """Every problem ``password_change`` would refuse, by field (R-LC-11); empty when all is fine."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(current_password):
        errors["current_password"] = [str(_("Le mot de passe actuel est incorrect."))]
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        errors["new_password"] = list(exc.messages)
    if "new_password" not in errors and new_password == current_password:
        errors["new_password"] = [str(_("Le nouveau mot de passe doit être différent de l'actuel."))]
    if new_password != new_password_confirm:
        errors["new_password_confirm"] = [str(_("Les deux mots de passe saisis ne sont pas identiques."))]
    return errors


def password_change(
    *, user: User, current_password: str, new_password: str, new_password_confirm: str
) -> User:
    """Change the logged-in user's own password. Only ever ``user`` — a caregiver acting for someone
    changes nothing of the helped person's credentials (R-DEL-2)."""
    _raise_first(
        password_change_errors(
            user=user,
            current_password=current_password,
            new_password=new_password,
            new_password_confirm=new_password_confirm,
        ),
        "password_invalid",
    )
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        trace(
            actor=actor_for_user(user),
            action="PASSWORD_CHANGED",
            patient_id=patient_chain_of(user),
            object_type="account",
            object_id=str(user.public_id),
        )
    return user


# --- staff accounts (management command ``create_staff``) -----------------------------------------


def staff_create(*, role: str, username: str, password: str, rpps: str = "") -> User:
    """Create a professional (linked to his RPPS directory entry) or operator account.

    Its second factor is TOTP, enrolled at the first login (R-LC-12 [I] for staff).
    """
    if role not in {Role.PROFESSIONAL, Role.OPERATOR}:
        raise DomainError(
            _("Le rôle doit être « professional » ou « operator »."), code="role_invalid", field="role"
        )
    _raise_first(
        credentials_errors(username=username, password=password, password_confirm=password, person=None),
        "credentials_invalid",
    )
    professional: Professional | None = None
    if role == Role.PROFESSIONAL:
        professional = Professional.objects.filter(rpps=(rpps or "").strip()).first()
        if professional is None:
            raise DomainError(
                _("Aucun professionnel n'a ce numéro RPPS dans l'annuaire."),
                code="rpps_unknown",
                field="rpps",
            )
        if User.objects.filter(professional=professional).exists():
            raise DomainError(
                _("Ce professionnel a déjà un compte."), code="professional_has_account", field="rpps"
            )
    user = User(username=username, role=role, professional=professional, date_joined=clock.now())
    user.set_password(password)
    with transaction.atomic():
        user.save()
        trace(
            actor=Actor.system("create_staff"),
            action="STAFF_ACCOUNT_CREATED",
            patient_id=None,
            object_type="account",
            object_id=str(user.public_id),
            details={"role": role},
        )
    return user
