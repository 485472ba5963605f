-- The docs' Example 1 on the typed tables, as a tenant credential runs it (its search path
-- starts with its organisation's typed schema): opportunities per journey and creation month.
-- created_at is a timestamp column; only the journey's title, inside the `source` object, is
-- still read from JSON. Unlike Example 1 on entity_operations, deleted opportunities no longer
-- count (the typed tables hold current entities).
SELECT json_extract_path_text(source, 'title', TRUE) AS "Journey Title",
       EXTRACT(YEAR FROM created_at) AS year_,
       EXTRACT(MONTH FROM created_at) AS month_,
       COUNT(*)
FROM opportunity
GROUP BY "Journey Title", year_, month_
ORDER BY year_, month_;
