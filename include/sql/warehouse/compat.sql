-- Redshift compatibility layer for the local PostgreSQL stand-in. Idempotent.
-- Lets Redshift SQL run unchanged, from `datalake query` and from a BI tool alike:
--   json_extract_path_text(varchar, path..., null_if_invalid boolean)
-- The rest of the bridge (case-folded quoted identifiers, LISTAGG, varchar = number) is
-- a rewrite in plugins/datalake/compat.py, because it cannot be expressed as a function.
CREATE SCHEMA IF NOT EXISTS redshift_compat;

-- Core: extract a text value at `path` from a JSON document held in a varchar.
-- Invalid JSON gives NULL when null_if_invalid, else an error, like Redshift.
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text_core(doc text, path text[], null_if_invalid boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN doc IS NULL THEN NULL
        WHEN null_if_invalid AND NOT pg_input_is_valid(doc, 'json') THEN NULL
        ELSE pg_catalog.json_extract_path_text(doc::json, VARIADIC path)
    END
$$;

-- Overloads for varchar documents. pg_catalog's own json_extract_path_text takes json, so a
-- varchar argument resolves here; a boolean last argument is Redshift's null_if_invalid.
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, VARIADIC path text[])
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, path, false) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1], nii) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, p2 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1, p2], nii) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, p2 text, p3 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1, p2, p3], nii) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, p2 text, p3 text, p4 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1, p2, p3, p4], nii) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, p2 text, p3 text, p4 text, p5 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1, p2, p3, p4, p5], nii) $$;
CREATE OR REPLACE FUNCTION redshift_compat.json_extract_path_text(doc text, p1 text, p2 text, p3 text, p4 text, p5 text, p6 text, nii boolean)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT redshift_compat.json_extract_path_text_core(doc, ARRAY[p1, p2, p3, p4, p5, p6], nii) $$;

GRANT USAGE ON SCHEMA redshift_compat TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA redshift_compat TO PUBLIC;
