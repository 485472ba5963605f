"""The entity rows as Arrow and Parquet: their schema, a table from columns, a staged file
written a table at a time, and the curated file of an event month."""

from __future__ import annotations

from datalake.entity_schema import ENTITY_COLUMNS

SEQ_COLUMN = "_seq"  # delivery order across the run's batches: the first copy of an id wins


def entity_arrow_schema(with_seq: bool = False):
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in ENTITY_COLUMNS]
    if with_seq:
        fields.append(pa.field(SEQ_COLUMN, pa.int64()))
    return pa.schema(fields)


def columns_to_table(columns: dict, seqs=None):
    """Entity rows given column-wise (ENTITY_COLUMNS -> values; `detail` may be UTF-8 bytes,
    which go in without a round trip through str), plus `_seq` when `seqs` is given."""
    import pyarrow as pa

    arrays = {}
    for name in ENTITY_COLUMNS:
        values = columns[name]
        if name == "detail" and len(values) and isinstance(values[0], bytes):
            arrays[name] = pa.array(values, pa.binary()).cast(pa.string())  # validates UTF-8
        else:
            arrays[name] = pa.array(values, pa.string())
    if seqs is not None:
        arrays[SEQ_COLUMN] = pa.array(seqs, pa.int64())
    return pa.table(arrays, schema=entity_arrow_schema(with_seq=seqs is not None))


class StagedParquet:
    """A Parquet file written a table at a time to a temporary file, uploaded on a clean exit:
    memory holds one table, not the file. A table is a row group, or row groups of at most
    `row_group_rows`. With no table written, an empty file (entity rows with `_seq`) is
    uploaded all the same."""

    def __init__(self, client, bucket: str, key: str, row_group_rows: int | None = None):
        self.client, self.bucket, self.key = client, bucket, key
        self.row_group_rows = row_group_rows
        self._tmp = None
        self._writer = None

    def __enter__(self):
        import tempfile

        self._tmp = tempfile.TemporaryFile()
        return self

    def write(self, table) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self._tmp, table.schema, compression="zstd", write_statistics=True
            )
        self._writer.write_table(table, row_group_size=self.row_group_rows)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                if self._writer is None:
                    self.write(entity_arrow_schema(with_seq=True).empty_table())
                self._writer.close()
                self._tmp.seek(0)
                self.client.upload_fileobj(self._tmp, self.bucket, self.key)
            elif self._writer is not None:
                self._writer.close()
        finally:
            self._tmp.close()
        return False


def curated_key(stream: str, year: str, month: str, run_key: str) -> str:
    return f"{stream}/year={year}/month={month}/part-{run_key}.parquet"


def curated_prefix(stream: str, year: str, month: str, run_key: str) -> str:
    """Where Redshift's UNLOAD writes a run's month: <prefix>0000_part_00.parquet, ..."""
    return f"{stream}/year={year}/month={month}/part-{run_key}-"
