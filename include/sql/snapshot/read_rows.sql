-- The snapshot rows in id order, for the month's lake file (read through a server-side cursor).
SELECT {{ columns }} FROM snapshot_rows ORDER BY id
