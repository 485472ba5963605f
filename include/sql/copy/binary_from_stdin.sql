-- Arrow blocks into a local table, in PostgreSQL's binary COPY format (datalake.pgcopy).
COPY {{ table }} ({{ columns }}) FROM STDIN WITH (FORMAT binary)
