ALTER TABLE {{ schema }}.{{ table }} ADD COLUMN {{ column }} {{ type }}
