-- Metadata security (Redshift "Metadata security", "ALTER SYSTEM"): users see in the catalog
-- only the objects they can access, own, or that are public, so a tenant cannot list other
-- organisations' typed tables and columns. Superuser or admin user only; cluster-wide.
ALTER SYSTEM SET metadata_security = true;
