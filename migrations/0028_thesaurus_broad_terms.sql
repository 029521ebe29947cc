-- 0028_thesaurus_broad_terms.sql — the broad words officers type alone and
-- the shipped vocabulary lacked (issue 11): "fisheries", "health",
-- "energy", "marine science", "environment", "computer science".  Without
-- a label each was a plain word: "fisheries" missed every expert who wrote
-- "nghề cá" or "fisheries science" in a keyword.  Not words that mostly
-- qualify another ("ocean", "đại dương", "economy"): as a label each
-- widened a request such as "rác thải nhựa đại dương" (ocean plastic
-- waste) to every oceanographer, ranking them above the plastic experts
-- (judged query vi-96: nDCG@10 0.81 with "đại dương" a label, 1.0 without).
-- Data only, loaded as 0020 loads its terms: a term a concept already
-- holds in that language is skipped, and officers' edits stay.  A label
-- is Vietnamese when folding changes it.
--
-- Also an index for the query planner's second look at the labels: a run
-- of typed words compared with each label without its spaces
-- ("eco-tourism" = "ecotourism", khnet_search_plan in 40_search.sql),
-- built first: the labels' triggers are deferred to commit, and an index
-- cannot be built on a table with trigger events pending.

CREATE INDEX khnet_concept_labels_run ON khnet_concept_labels (replace(term, ' ', ''));

CREATE TEMPORARY TABLE seed_broad (key text, alt text[]) ON COMMIT DROP;
INSERT INTO seed_broad VALUES
    ('fisheries_science', '{"fisheries","fishery","capture fisheries","fisheries research","nghề cá","ngư nghiệp","khai thác thủy sản"}'),
    ('healthcare', '{"health","health sciences","sức khỏe","sức khoẻ"}'),
    ('renewable_energy', '{"energy","energy systems","năng lượng"}'),
    ('oceanography', '{"marine science","marine sciences","marine research","khoa học đại dương"}'),
    ('environment_climate', '{"environment","environmental studies","environmental sciences"}'),
    ('it_ai', '{"computer science","informatics","khoa học máy tính"}'),
    ('education', '{"teaching","pedagogy","giảng dạy","sư phạm"}'),
    ('tourism', '{"travel","lữ hành"}')
;

INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)
SELECT DISTINCT ON (k.id, l.lang, t.term) k.id, l.lang, false, l.label, t.term
  FROM seed_broad c
  JOIN khnet_concepts k ON k.key = c.key
 CROSS JOIN LATERAL (SELECT CASE WHEN khnet_fold(a) = lower(a) THEN 'en' ELSE 'vi' END, a, n
                       FROM unnest(c.alt) WITH ORDINALITY u(a, n)) l(lang, label, ord)
 CROSS JOIN LATERAL (SELECT btrim(regexp_replace(khnet_fold(l.label), '[^[:alnum:]]+', ' ', 'g')) AS term) t
 WHERE NOT EXISTS (SELECT 1 FROM khnet_concept_labels x
                    WHERE x.concept_id = k.id AND x.lang = l.lang AND x.term = t.term)
 ORDER BY k.id, l.lang, t.term, l.ord;
