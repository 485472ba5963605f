-- One workflow table in its stable order, for its lake version (server-side cursor).
SELECT {{ columns }} FROM epilot_datalake.{{ table }} ORDER BY {{ order_by }}
