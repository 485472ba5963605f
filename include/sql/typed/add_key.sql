ALTER TABLE {{ schema }}.{{ table }} ADD PRIMARY KEY (entity_id)
