"""Privacy requests of data subjects (PIPL / GDPR): export their data, or erase it."""

from engine.privacy.erase import ERASED, PLACEHOLDER, ErasedRecord, Erasure, erase_subject
from engine.privacy.export import EXPORTED, export_subject
from engine.privacy.subjects import Referrer, SubjectRecord, referrers, subject_records

__all__ = [
    "ERASED",
    "EXPORTED",
    "PLACEHOLDER",
    "ErasedRecord",
    "Erasure",
    "Referrer",
    "SubjectRecord",
    "erase_subject",
    "export_subject",
    "referrers",
    "subject_records",
]
