"""The store's side of key rotation: every sealed blob as a ``clearsight.crypto``
``EncryptedRecord``, and a compare-and-swap replace for ``clearsight.crypto.rotate``.

A record id is the blob's purpose (``table:row id:column``), which is also the associated
data it was sealed with, so rotation re-seals each blob bound to the same record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from clearsight.errors import StoreError
from clearsight.store._database import Database
from clearsight.store._tables import AlertCrop, Base, ReferencePhoto

if TYPE_CHECKING:
    from clearsight.crypto import EncryptedRecord

SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    ReferencePhoto.__tablename__: ("image", "template"),
    AlertCrop.__tablename__: ("image",),
}


def sealed_records(db: Database, batch: int = 200) -> Iterator[EncryptedRecord]:
    """Every sealed blob, read in batches (each batch in its own short read transaction)."""
    from clearsight.crypto import EncryptedRecord

    for table, columns in SEALED_COLUMNS.items():
        target = Base.metadata.tables[table]
        for column in columns:
            last = ""
            while True:
                key, value = target.c.id, target.c[column]
                with db.read_session() as session:
                    rows = session.execute(
                        select(key, value).where(key > last).order_by(key).limit(batch)
                    ).all()
                if not rows:
                    break
                for row_id, blob in rows:
                    purpose = f"{table}:{row_id}:{column}"
                    yield EncryptedRecord(purpose, purpose.encode(), bytes(blob))
                last = rows[-1][0]


def blob_replacer(db: Database) -> Callable[[EncryptedRecord, bytes], bool]:
    """``replace(record, new_blob)``: write ``new_blob`` only if the row still holds
    ``record.blob``, committed before returning; True if it was replaced."""

    def replace(record: EncryptedRecord, new_blob: bytes) -> bool:
        table, _, rest = record.record_id.partition(":")
        row_id, _, column = rest.partition(":")
        if column not in SEALED_COLUMNS.get(table, ()):
            raise StoreError(f"{record.record_id}: not a sealed column of the store")
        target = Base.metadata.tables[table]
        with db.session() as session:
            result = session.execute(
                update(target)
                .where(target.c.id == row_id, target.c[column] == record.blob)
                .values({column: new_blob})
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    return replace
