"""Fixtures for the page tests of the record and the access settings (Django test client, SQLite)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import Role, User
from carnet.identity.models import Professional
from carnet.records import services
from carnet.records.models import Document
from tests.records.helpers import PDF, World, make_world, pro_actor


def pro_user(professional: Professional) -> User:
    return User.objects.create_user(
        username=f"pro-{professional.rpps}",
        password="x-Motdepasse-1234",
        role=Role.PROFESSIONAL,
        professional=professional,
    )


@dataclass
class Pages:
    world: World

    def patient_client(self) -> Client:
        client = Client()
        client.force_login(User.objects.get(person=self.world.patient))
        return client

    def pro_client(self, professional: Professional) -> Client:
        client = Client()
        user = User.objects.filter(professional=professional).first() or pro_user(professional)
        client.force_login(user)
        return client

    def deposit(self, author: Professional, **metadata: Any) -> Document:
        metadata.setdefault("type_code", "11488-4")
        metadata.setdefault("title", "Compte rendu de consultation")
        return services.document_deposit(
            actor=pro_actor(author),
            patient_id=self.world.patient.pk,
            content=PDF,
            filename="cr.pdf",
            declared_media_type="application/pdf",
            **metadata,
        )

    def patient_upload(self, title: str = "Mon bilan", content: bytes = PDF) -> Document:
        return services.document_deposit(
            actor=self.world.holder,
            patient_id=self.world.patient.pk,
            content=content,
            filename="bilan",
            declared_media_type="",
            title=title,
            category="AUTR_DOC",
        )


@pytest.fixture
def pages(db: Any, clock: Any) -> Pages:
    return Pages(world=make_world())
