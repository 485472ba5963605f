DELETE FROM {{ schema }}._attributes
