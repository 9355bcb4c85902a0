"""Child process for test_keys_rotate_cli: rotate a service store's blobs one at a time,
printing ``done`` after each and pausing, so the parent can SIGKILL it part-way through."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from clearsight.crypto import BlobCipher, EncryptedRecord, read_key_file
from clearsight.store import Database
from clearsight.store._key_rotation import rotate_store


def main(data_dir: str, key_file: str, pause_s: str) -> None:
    db = Database.for_data_dir(Path(data_dir))

    def progress(record: EncryptedRecord, rewritten: bool) -> None:
        print(f"done {record.record_id} {int(rewritten)}", flush=True)
        time.sleep(float(pause_s))

    rotate_store(db, BlobCipher(read_key_file(Path(key_file))), "test:child", progress)
    db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
