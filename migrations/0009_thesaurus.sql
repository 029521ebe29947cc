-- 0009_thesaurus.sql — the bilingual expertise thesaurus search expands
-- queries through (issue 11), the columns behind the city filter, and the
-- index of name words behind "suggest by a given name".  Tables, indexes
-- and data only: the functions that read and edit them live with the other
-- search functions in the repeatable search file.
--
-- The model is SKOS (what VIVO uses for research areas): a concept has one
-- preferred label per language (Vietnamese and English), any number of
-- alternative labels (synonyms, abbreviations, UK/US spellings, either
-- language), `broader` links (its narrower concepts are the inverse) and
-- `related` links.  Labels are stored as written and folded (khnet_fold,
-- punctuation runs as one space), which is how a query's words are
-- matched against them; a folded label may belong to several concepts
-- (an ambiguous abbreviation), never twice to one in one language.

CREATE TABLE khnet_concepts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_]{1,63}$'), -- stable wire id
    sector_id  smallint REFERENCES khnet_sectors (id) ON DELETE SET NULL,  -- its priority sector
    version    int NOT NULL DEFAULT 1,                                     -- optimistic concurrency
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by bigint REFERENCES khnet_accounts (id) ON DELETE SET NULL    -- NULL: shipped seed
);

CREATE TABLE khnet_concept_labels (
    concept_id bigint NOT NULL REFERENCES khnet_concepts (id) ON DELETE CASCADE,
    lang       text NOT NULL CHECK (lang IN ('en', 'vi')),
    pref       boolean NOT NULL,                  -- skos:prefLabel (one per language) or altLabel
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 200), -- as written
    term       text NOT NULL CHECK (term <> ''),  -- folded, words joined by one space
    PRIMARY KEY (concept_id, lang, term)
);
CREATE UNIQUE INDEX khnet_concept_labels_pref ON khnet_concept_labels (concept_id, lang) WHERE pref;
-- Query words are matched by equality; suggest reads terms by prefix, in order.
CREATE INDEX khnet_concept_labels_term ON khnet_concept_labels (term text_pattern_ops, concept_id);

CREATE TABLE khnet_concept_links (
    concept_id bigint NOT NULL REFERENCES khnet_concepts (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('broader', 'related')),
    target_id  bigint NOT NULL REFERENCES khnet_concepts (id) ON DELETE CASCADE,
    PRIMARY KEY (concept_id, kind, target_id),
    CHECK (concept_id <> target_id)
);
-- narrower concepts of a concept: the links whose target it is
CREATE INDEX khnet_concept_links_target ON khnet_concept_links (target_id, kind);

-- The city filter: the folded city and the visibility rank of its group
-- (contact), like the other grouped columns of the read model.  Appended,
-- so khnet_search_doc_source lists them last.
ALTER TABLE khnet_search_docs ADD COLUMN city_fold text, ADD COLUMN vis_contact smallint NOT NULL DEFAULT 2;
-- Ranking by coverage (khnet_search_cover) asks of each candidate whether
-- a term is one of its keywords or inside one: the keywords as a tsvector
-- and as terms (folded, punctuation as one space), kept with the document
-- rather than built per candidate (5 times the cost of the rest of the
-- scoring).
ALTER TABLE khnet_search_docs ADD COLUMN expertise_tsv tsvector NOT NULL DEFAULT '',
                              ADD COLUMN expertise_terms text[] NOT NULL DEFAULT '{}';
UPDATE khnet_search_docs d SET city_fold = khnet_fold(p.city), vis_contact = khnet_vis_rank(p.vis_contact),
       expertise_tsv = to_tsvector('simple', array_to_string(d.expertise_fold, ' . ')),
       expertise_terms = ARRAY(SELECT btrim(regexp_replace(k, '[^[:alnum:]]+', ' ', 'g'))
                                 FROM unnest(d.expertise_fold) k)
  FROM khnet_profiles p WHERE p.account_id = d.profile_id;
CREATE INDEX khnet_search_docs_city ON khnet_search_docs (city_fold);

-- Every word of every full name with the folded names holding it, so that
-- suggest finds "Nguyễn Thị Minh Thư" when only "Thu" is typed, reading
-- this index in order and stopping at the limit.  Distinct names, not
-- people (a directory of 200,000 has some 10,000 distinct names).
CREATE TABLE khnet_search_name_index (
    word      text NOT NULL,  -- one folded word of the name
    name_fold text NOT NULL,  -- khnet_search_docs.name_fold
    PRIMARY KEY (word, name_fold)
);
-- read in order by prefix, as the other typeahead indexes
CREATE INDEX khnet_search_name_index_prefix ON khnet_search_name_index (word text_pattern_ops, name_fold text_pattern_ops);
INSERT INTO khnet_search_name_index (word, name_fold)
SELECT DISTINCT w, d.name_fold FROM khnet_search_docs d, regexp_split_to_table(d.name_fold, '[^[:alnum:]]+') w
 WHERE w <> '' ON CONFLICT DO NOTHING;

-- ---- the shipped vocabulary ---------------------------------------------------
-- A few hundred concepts covering the 14 priority sectors: each sector's
-- top concept (key = the sector slug) and its main sub-fields, with the
-- terms experts and officers actually write in both languages.
CREATE TEMPORARY TABLE seed_concepts (key text, sector text, broader text, pref_en text,
                                      pref_vi text, alt text[], related text[]) ON COMMIT DROP;
INSERT INTO seed_concepts VALUES
    ('marine_economy', 'marine_economy', NULL, 'marine economy', 'kinh tế biển', '{"blue economy","ocean economy","maritime economy","kinh tế đại dương"}', '{ocean_governance}'),
    ('blue_growth', 'marine_economy', 'marine_economy', 'sustainable blue growth', 'tăng trưởng xanh lam', '{"blue growth"}', '{}'),
    ('marine_spatial_planning', 'marine_economy', 'marine_economy', 'marine spatial planning', 'quy hoạch không gian biển', '{"MSP","maritime spatial planning","ocean zoning"}', '{coastal_zone_management}'),
    ('coastal_zone_management', 'marine_economy', 'marine_economy', 'integrated coastal zone management', 'quản lý tổng hợp vùng bờ', '{"coastal zone management","ICZM","coastal management","quản lý vùng ven biển"}', '{marine_spatial_planning}'),
    ('coastal_development', 'marine_economy', 'marine_economy', 'coastal development', 'phát triển vùng ven biển', '{"coastal economic zones","khu kinh tế ven biển"}', '{}'),
    ('fisheries_management', 'marine_economy', 'marine_economy', 'fisheries management', 'quản lý nghề cá', '{"fishery management","fisheries governance","quản lý khai thác thủy sản"}', '{fisheries_science}'),
    ('fisheries_science', 'marine_economy', 'marine_economy', 'fisheries science', 'khoa học nghề cá', '{"fishery science","đánh giá nguồn lợi hải sản"}', '{fisheries_management}'),
    ('fish_stock_assessment', 'marine_economy', 'fisheries_science', 'fish stock assessment', 'đánh giá trữ lượng cá', '{"stock assessment","đánh giá nguồn lợi thủy sản"}', '{}'),
    ('iuu_fishing', 'marine_economy', 'fisheries_management', 'illegal unreported and unregulated fishing', 'khai thác IUU', '{"IUU fishing","IUU","chống khai thác bất hợp pháp"}', '{}'),
    ('offshore_fishing', 'marine_economy', 'fisheries_management', 'offshore fishing', 'khai thác hải sản xa bờ', '{"deep-sea fishing","đánh bắt xa bờ"}', '{}'),
    ('seafood_processing', 'marine_economy', 'marine_economy', 'seafood processing', 'chế biến thủy sản', '{"fish processing","seafood technology","chế biến hải sản"}', '{seafood_export}'),
    ('seafood_export', 'marine_economy', 'marine_economy', 'seafood export', 'xuất khẩu thủy sản', '{"seafood trade","xuất khẩu hải sản"}', '{seafood_processing}'),
    ('shipbuilding', 'marine_economy', 'marine_economy', 'shipbuilding', 'đóng tàu', '{"ship building","ship repair","công nghiệp đóng tàu","naval architecture"}', '{}'),
    ('salt_production', 'marine_economy', 'marine_economy', 'salt production', 'sản xuất muối', '{"sea salt","nghề muối"}', '{}'),
    ('ocean_governance', 'marine_economy', 'marine_economy', 'ocean governance', 'quản trị biển', '{"maritime law","law of the sea","luật biển","UNCLOS"}', '{}'),
    ('marine_protected_areas', 'marine_economy', 'marine_conservation', 'marine protected areas', 'khu bảo tồn biển', '{"MPA","marine reserves","marine parks"}', '{coral_reefs}'),
    ('aquaculture', 'aquaculture', NULL, 'aquaculture', 'nuôi trồng thủy sản', '{"fish farming","aquafarming","nuôi thủy sản","thủy sản"}', '{}'),
    ('shrimp_farming', 'aquaculture', 'aquaculture', 'shrimp farming', 'nuôi tôm', '{"shrimp aquaculture","prawn farming","shrimp culture","whiteleg shrimp","tôm thẻ chân trắng","tôm sú"}', '{}'),
    ('lobster_farming', 'aquaculture', 'aquaculture', 'lobster farming', 'nuôi tôm hùm', '{"lobster aquaculture","spiny lobster","tôm hùm bông","lobster culture"}', '{}'),
    ('seaweed_farming', 'aquaculture', 'aquaculture', 'seaweed farming', 'nuôi trồng rong biển', '{"seaweed aquaculture","seaweed cultivation","macroalgae farming","rong biển","trồng rong sụn"}', '{}'),
    ('marine_fish_farming', 'aquaculture', 'aquaculture', 'marine fish farming', 'nuôi cá biển', '{"mariculture","cage culture","sea cage farming","nuôi cá lồng bè","nuôi lồng bè"}', '{}'),
    ('grouper_farming', 'aquaculture', 'marine_fish_farming', 'grouper farming', 'nuôi cá mú', '{"grouper culture","cá mú","cá song"}', '{}'),
    ('cobia_farming', 'aquaculture', 'marine_fish_farming', 'cobia farming', 'nuôi cá bớp', '{"cobia","cá bớp"}', '{}'),
    ('bivalve_farming', 'aquaculture', 'aquaculture', 'bivalve farming', 'nuôi nhuyễn thể hai mảnh vỏ', '{"shellfish farming","oyster farming","mussel farming","clam farming","nuôi hàu","nuôi ốc hương","nuôi nghêu"}', '{}'),
    ('pearl_oyster', 'aquaculture', 'bivalve_farming', 'pearl oyster culture', 'nuôi trai ngọc', '{"pearl farming","trai ngọc"}', '{}'),
    ('sea_cucumber', 'aquaculture', 'aquaculture', 'sea cucumber farming', 'nuôi hải sâm', '{"sea cucumber","hải sâm"}', '{}'),
    ('freshwater_aquaculture', 'aquaculture', 'aquaculture', 'freshwater aquaculture', 'nuôi thủy sản nước ngọt', '{"pangasius farming","catfish farming","tilapia farming","nuôi cá tra","nuôi cá rô phi"}', '{}'),
    ('ras', 'aquaculture', 'aquaculture', 'recirculating aquaculture system', 'hệ thống nuôi tuần hoàn', '{"RAS","recirculating aquaculture","recirculating system","closed containment aquaculture","nuôi tuần hoàn khép kín"}', '{water_treatment}'),
    ('biofloc', 'aquaculture', 'aquaculture', 'biofloc technology', 'công nghệ biofloc', '{"biofloc","BFT"}', '{}'),
    ('imta', 'aquaculture', 'aquaculture', 'integrated multi-trophic aquaculture', 'nuôi kết hợp đa dinh dưỡng', '{"IMTA","multi-trophic aquaculture"}', '{}'),
    ('hatchery', 'aquaculture', 'aquaculture', 'hatchery and seed production', 'sản xuất giống thủy sản', '{"hatchery","broodstock","larval rearing","fish seed production","sản xuất con giống","ương giống"}', '{}'),
    ('fish_nutrition', 'aquaculture', 'aquaculture', 'aquaculture nutrition', 'dinh dưỡng thủy sản', '{"fish nutrition","aquafeed","fish feed","shrimp feed","thức ăn thủy sản"}', '{}'),
    ('aquatic_animal_health', 'aquaculture', 'aquaculture', 'aquatic animal health', 'sức khỏe động vật thủy sản', '{"aquatic animal disease","fish disease","shrimp disease","fish pathology","bệnh thủy sản","bệnh tôm"}', '{}'),
    ('shrimp_disease', 'aquaculture', 'aquatic_animal_health', 'shrimp disease control', 'phòng trị bệnh tôm', '{"white spot syndrome","WSSV","early mortality syndrome","AHPND","EMS","bệnh đốm trắng","bệnh gan tụy cấp"}', '{}'),
    ('aquaculture_genetics', 'aquaculture', 'aquaculture', 'aquaculture genetics and breeding', 'di truyền và chọn giống thủy sản', '{"selective breeding","fish genetics","broodstock improvement","chọn giống"}', '{}'),
    ('aquaculture_water_quality', 'aquaculture', 'aquaculture', 'pond water quality management', 'quản lý chất lượng nước ao nuôi', '{"pond management","water quality in aquaculture","quản lý môi trường ao nuôi"}', '{water_quality}'),
    ('smart_aquaculture', 'aquaculture', 'aquaculture', 'smart aquaculture', 'nuôi trồng thủy sản thông minh', '{"precision aquaculture","digital aquaculture","aquaculture automation","IoT aquaculture","thủy sản thông minh"}', '{iot}'),
    ('offshore_aquaculture', 'aquaculture', 'aquaculture', 'offshore aquaculture', 'nuôi biển xa bờ', '{"open ocean aquaculture","offshore mariculture","nuôi biển công nghiệp"}', '{}'),
    ('ocean_technology', 'ocean_technology', NULL, 'ocean technology', 'công nghệ biển', '{"marine technology","ocean engineering","kỹ thuật biển"}', '{}'),
    ('oceanography', 'ocean_technology', 'ocean_technology', 'oceanography', 'hải dương học', '{"ocean science","ocean sciences","physical oceanography","biological oceanography","khoa học biển"}', '{}'),
    ('marine_biology', 'ocean_technology', 'oceanography', 'marine biology', 'sinh học biển', '{"marine biologist","marine ecology","sinh thái biển"}', '{marine_biodiversity}'),
    ('marine_biodiversity', 'ocean_technology', 'marine_biology', 'marine biodiversity', 'đa dạng sinh học biển', '{"biodiversity of the sea"}', '{marine_conservation}'),
    ('marine_conservation', 'ocean_technology', 'marine_biology', 'marine conservation', 'bảo tồn biển', '{"ocean conservation","bảo tồn sinh vật biển"}', '{marine_protected_areas}'),
    ('coral_reefs', 'ocean_technology', 'marine_biology', 'coral reef ecology', 'sinh thái rạn san hô', '{"coral reefs","coral reef","coral restoration","coral bleaching","rạn san hô","san hô"}', '{marine_protected_areas}'),
    ('seagrass', 'ocean_technology', 'marine_biology', 'seagrass ecology', 'sinh thái thảm cỏ biển', '{"seagrass","seagrass beds","cỏ biển"}', '{}'),
    ('marine_mammals', 'ocean_technology', 'marine_biology', 'marine mammals and sea turtles', 'thú biển và rùa biển', '{"sea turtles","dolphins","rùa biển"}', '{}'),
    ('plankton', 'ocean_technology', 'marine_biology', 'plankton ecology', 'sinh thái sinh vật phù du', '{"plankton","phytoplankton","zooplankton","harmful algal blooms","tảo độc","thủy triều đỏ"}', '{}'),
    ('physical_oceanography', 'ocean_technology', 'oceanography', 'ocean circulation modelling', 'mô hình hóa hoàn lưu biển', '{"ocean modelling","ocean modeling","ocean circulation","ocean currents","hydrodynamic modelling","hydrodynamic modeling","dòng chảy biển"}', '{}'),
    ('marine_geology', 'ocean_technology', 'oceanography', 'marine geology', 'địa chất biển', '{"seabed mapping","sediment transport","bathymetry","địa chất biển và đáy biển"}', '{}'),
    ('underwater_robotics', 'ocean_technology', 'ocean_technology', 'underwater robotics', 'robot dưới nước', '{"marine robotics","underwater robot","ROV","remotely operated vehicle","robot ngầm"}', '{auv}'),
    ('auv', 'ocean_technology', 'underwater_robotics', 'autonomous underwater vehicle', 'phương tiện tự hành dưới nước', '{"AUV","autonomous underwater vehicles","underwater drone","underwater glider","tàu ngầm tự hành"}', '{underwater_navigation}'),
    ('underwater_navigation', 'ocean_technology', 'underwater_robotics', 'underwater navigation', 'định vị dưới nước', '{"underwater localisation","underwater localization","acoustic positioning","inertial navigation"}', '{auv}'),
    ('usv', 'ocean_technology', 'ocean_technology', 'unmanned surface vehicle', 'tàu mặt nước không người lái', '{"USV","autonomous surface vessel","autonomous ship","tàu tự hành"}', '{}'),
    ('underwater_acoustics', 'ocean_technology', 'ocean_technology', 'underwater acoustics', 'âm học dưới nước', '{"sonar","hydroacoustics","acoustic monitoring","thủy âm"}', '{}'),
    ('ocean_observation', 'ocean_technology', 'ocean_technology', 'ocean observing systems', 'hệ thống quan trắc biển', '{"ocean observation","ocean monitoring","marine sensors","buoys","quan trắc biển","phao quan trắc"}', '{}'),
    ('remote_sensing', 'ocean_technology', 'ocean_technology', 'remote sensing', 'viễn thám', '{"satellite remote sensing","earth observation","satellite imagery","ảnh vệ tinh"}', '{gis}'),
    ('marine_remote_sensing', 'ocean_technology', 'remote_sensing', 'ocean remote sensing', 'viễn thám biển', '{"ocean colour","ocean color","sea surface temperature","satellite oceanography"}', '{}'),
    ('gis', 'ocean_technology', 'ocean_technology', 'geographic information systems', 'hệ thống thông tin địa lý', '{"GIS","geospatial analysis","spatial analysis","bản đồ số"}', '{remote_sensing}'),
    ('offshore_engineering', 'ocean_technology', 'ocean_technology', 'offshore engineering', 'kỹ thuật công trình biển', '{"offshore structures","coastal engineering","công trình biển","marine structures"}', '{}'),
    ('ocean_energy_tech', 'ocean_technology', 'ocean_technology', 'wave and tidal energy', 'năng lượng sóng và thủy triều', '{"wave energy","tidal energy","ocean energy","năng lượng đại dương"}', '{}'),
    ('marine_biotechnology', 'ocean_technology', 'ocean_technology', 'marine biotechnology', 'công nghệ sinh học biển', '{"blue biotechnology","marine bioprospecting"}', '{marine_natural_products}'),
    ('high_tech_industry', 'high_tech_industry', NULL, 'high-tech industry', 'công nghiệp công nghệ cao', '{"high technology industry","advanced manufacturing","sản xuất tiên tiến"}', '{}'),
    ('semiconductors', 'high_tech_industry', 'high_tech_industry', 'semiconductors', 'bán dẫn', '{"semiconductor","microelectronics","chip design","integrated circuits","IC design","vi mạch","thiết kế vi mạch","công nghiệp bán dẫn"}', '{}'),
    ('semiconductor_fab', 'high_tech_industry', 'semiconductors', 'semiconductor fabrication', 'chế tạo bán dẫn', '{"wafer fabrication","chip packaging","semiconductor packaging","đóng gói chip"}', '{}'),
    ('advanced_materials', 'high_tech_industry', 'high_tech_industry', 'advanced materials', 'vật liệu tiên tiến', '{"materials science","materials engineering","khoa học vật liệu","vật liệu mới"}', '{}'),
    ('nanomaterials', 'high_tech_industry', 'advanced_materials', 'nanomaterials', 'vật liệu nano', '{"nanotechnology","nanoparticles","công nghệ nano"}', '{}'),
    ('composites', 'high_tech_industry', 'advanced_materials', 'composite materials', 'vật liệu composite', '{"composites","fibre reinforced polymers","fiber reinforced polymers"}', '{}'),
    ('polymers', 'high_tech_industry', 'advanced_materials', 'polymer science', 'khoa học polyme', '{"polymers","plastics engineering","polyme"}', '{}'),
    ('automation', 'high_tech_industry', 'high_tech_industry', 'industrial automation', 'tự động hóa công nghiệp', '{"automation","control systems","PLC","tự động hóa","điều khiển tự động"}', '{robotics}'),
    ('robotics', 'high_tech_industry', 'automation', 'robotics', 'người máy', '{"robot","robots","industrial robots","robot công nghiệp","rô bốt"}', '{underwater_robotics}'),
    ('mechatronics', 'high_tech_industry', 'automation', 'mechatronics', 'cơ điện tử', '{"mechatronic systems"}', '{}'),
    ('precision_manufacturing', 'high_tech_industry', 'high_tech_industry', 'precision manufacturing', 'chế tạo chính xác', '{"precision engineering","CNC machining","gia công chính xác","cơ khí chính xác"}', '{}'),
    ('additive_manufacturing', 'high_tech_industry', 'precision_manufacturing', 'additive manufacturing', 'sản xuất bồi đắp', '{"3D printing","in 3D","rapid prototyping"}', '{}'),
    ('industry40', 'high_tech_industry', 'high_tech_industry', 'Industry 4.0', 'công nghiệp 4.0', '{"smart manufacturing","smart factory","nhà máy thông minh","cách mạng công nghiệp lần thứ tư","digital twin","bản sao số"}', '{iot}'),
    ('electronics', 'high_tech_industry', 'high_tech_industry', 'electronics engineering', 'kỹ thuật điện tử', '{"electronics","embedded systems","hệ thống nhúng","điện tử"}', '{iot}'),
    ('photonics', 'high_tech_industry', 'high_tech_industry', 'photonics', 'quang tử', '{"optoelectronics","lasers","fibre optics","fiber optics","optical engineering","quang điện tử","cáp quang"}', '{}'),
    ('sensors', 'high_tech_industry', 'electronics', 'sensors and instrumentation', 'cảm biến và đo lường', '{"sensor","sensors","instrumentation","sensor networks","cảm biến"}', '{iot}'),
    ('it_ai', 'it_ai', NULL, 'information technology', 'công nghệ thông tin', '{"IT","ICT","computing","tin học","CNTT"}', '{}'),
    ('artificial_intelligence', 'it_ai', 'it_ai', 'artificial intelligence', 'trí tuệ nhân tạo', '{"AI","TTNT","intelligent systems","hệ thống thông minh"}', '{}'),
    ('machine_learning', 'it_ai', 'artificial_intelligence', 'machine learning', 'học máy', '{"ML","statistical learning","predictive modelling","predictive modeling","máy học"}', '{data_science}'),
    ('deep_learning', 'it_ai', 'machine_learning', 'deep learning', 'học sâu', '{"neural networks","deep neural networks","mạng nơ-ron","mạng neural","convolutional neural networks"}', '{}'),
    ('computer_vision', 'it_ai', 'artificial_intelligence', 'computer vision', 'thị giác máy tính', '{"image recognition","image processing","object detection","xử lý ảnh","nhận dạng ảnh"}', '{}'),
    ('nlp', 'it_ai', 'artificial_intelligence', 'natural language processing', 'xử lý ngôn ngữ tự nhiên', '{"NLP","computational linguistics","language technology","text mining","ngôn ngữ học tính toán"}', '{}'),
    ('vietnamese_nlp', 'it_ai', 'nlp', 'Vietnamese language processing', 'xử lý tiếng Việt', '{"Vietnamese NLP","Vietnamese speech recognition","nhận dạng tiếng nói tiếng Việt"}', '{}'),
    ('large_language_models', 'it_ai', 'nlp', 'large language models', 'mô hình ngôn ngữ lớn', '{"LLM","LLMs","generative AI","AI tạo sinh","chatbots","chatbot"}', '{}'),
    ('speech_recognition', 'it_ai', 'artificial_intelligence', 'speech recognition', 'nhận dạng tiếng nói', '{"speech processing","speech technology","xử lý tiếng nói"}', '{}'),
    ('reinforcement_learning', 'it_ai', 'machine_learning', 'reinforcement learning', 'học tăng cường', '{"RL"}', '{}'),
    ('data_science', 'it_ai', 'it_ai', 'data science', 'khoa học dữ liệu', '{"data analytics","data analysis","phân tích dữ liệu","big data","dữ liệu lớn"}', '{machine_learning}'),
    ('cybersecurity', 'it_ai', 'it_ai', 'cybersecurity', 'an ninh mạng', '{"cyber security","information security","network security","an toàn thông tin","bảo mật thông tin","an ninh thông tin","infosec"}', '{}'),
    ('cryptography', 'it_ai', 'cybersecurity', 'cryptography', 'mật mã học', '{"encryption","mã hóa"}', '{}'),
    ('software_engineering', 'it_ai', 'it_ai', 'software engineering', 'kỹ nghệ phần mềm', '{"software development","phát triển phần mềm","công nghệ phần mềm","software architecture"}', '{}'),
    ('distributed_systems', 'it_ai', 'it_ai', 'distributed systems', 'hệ thống phân tán', '{"cloud computing","điện toán đám mây","parallel computing","high performance computing","HPC"}', '{}'),
    ('iot', 'it_ai', 'it_ai', 'Internet of Things', 'Internet vạn vật', '{"IoT","connected devices","wireless sensor networks","mạng cảm biến không dây","IoT sensors"}', '{sensors}'),
    ('blockchain', 'it_ai', 'it_ai', 'blockchain', 'chuỗi khối', '{"distributed ledger","công nghệ chuỗi khối"}', '{}'),
    ('digital_transformation', 'it_ai', 'it_ai', 'digital transformation', 'chuyển đổi số', '{"digitalisation","digitalization","digitisation","digitization","số hóa","e-government","chính phủ điện tử","chính quyền số"}', '{smart_city}'),
    ('smart_city', 'it_ai', 'digital_transformation', 'smart cities', 'đô thị thông minh', '{"smart city","thành phố thông minh","urban informatics"}', '{}'),
    ('telecommunications', 'it_ai', 'it_ai', 'telecommunications', 'viễn thông', '{"telecom","5G","wireless communications","mạng di động","truyền thông không dây"}', '{}'),
    ('hci', 'it_ai', 'it_ai', 'human-computer interaction', 'tương tác người máy', '{"HCI","user experience","UX design","thiết kế trải nghiệm người dùng"}', '{}'),
    ('healthcare', 'healthcare', NULL, 'healthcare', 'y tế', '{"health care","medicine","medical sciences","y học","chăm sóc sức khỏe"}', '{}'),
    ('public_health', 'healthcare', 'healthcare', 'public health', 'y tế công cộng', '{"community health","population health","y tế cộng đồng","sức khỏe cộng đồng"}', '{epidemiology}'),
    ('epidemiology', 'healthcare', 'public_health', 'epidemiology', 'dịch tễ học', '{"disease surveillance","giám sát dịch bệnh"}', '{infectious_diseases}'),
    ('infectious_diseases', 'healthcare', 'healthcare', 'infectious diseases', 'bệnh truyền nhiễm', '{"communicable diseases","tropical medicine","dengue","malaria","tuberculosis","bệnh nhiệt đới","sốt xuất huyết"}', '{epidemiology}'),
    ('vaccines', 'healthcare', 'infectious_diseases', 'vaccinology', 'vắc xin học', '{"vaccines","vaccine development","immunisation","immunization","tiêm chủng","vắc-xin"}', '{}'),
    ('cardiology', 'healthcare', 'healthcare', 'cardiology', 'tim mạch học', '{"cardiovascular medicine","heart disease","tim mạch","bệnh tim mạch"}', '{}'),
    ('oncology', 'healthcare', 'healthcare', 'oncology', 'ung thư học', '{"cancer research","cancer treatment","ung bướu","ung thư"}', '{}'),
    ('medical_imaging', 'healthcare', 'healthcare', 'medical imaging', 'chẩn đoán hình ảnh', '{"radiology","diagnostic imaging","MRI","CT imaging","ultrasound","X quang","siêu âm"}', '{}'),
    ('telemedicine', 'healthcare', 'digital_health', 'telemedicine', 'y tế từ xa', '{"telehealth","remote consultation","khám chữa bệnh từ xa","tư vấn y tế từ xa"}', '{}'),
    ('digital_health', 'healthcare', 'healthcare', 'digital health', 'y tế số', '{"eHealth","e-health","mHealth","health informatics","electronic health records","bệnh án điện tử","tin học y tế"}', '{digital_transformation}'),
    ('medical_ai', 'healthcare', 'digital_health', 'AI in medicine', 'trí tuệ nhân tạo trong y tế', '{"medical AI","clinical decision support","AI for healthcare","AI trong y học"}', '{artificial_intelligence}'),
    ('biomedical_engineering', 'healthcare', 'healthcare', 'biomedical engineering', 'kỹ thuật y sinh', '{"medical devices","bioengineering","thiết bị y tế","y sinh"}', '{}'),
    ('maternal_child_health', 'healthcare', 'public_health', 'maternal and child health', 'sức khỏe bà mẹ và trẻ em', '{"paediatrics","pediatrics","obstetrics","nhi khoa","sản khoa"}', '{}'),
    ('nutrition_health', 'healthcare', 'public_health', 'nutrition and dietetics', 'dinh dưỡng học', '{"clinical nutrition","human nutrition","dinh dưỡng lâm sàng"}', '{}'),
    ('mental_health', 'healthcare', 'healthcare', 'mental health', 'sức khỏe tâm thần', '{"psychiatry","psychology","tâm thần học","tâm lý học"}', '{}'),
    ('diving_medicine', 'healthcare', 'healthcare', 'diving and hyperbaric medicine', 'y học lặn và oxy cao áp', '{"hyperbaric medicine","diving medicine","y học biển","maritime medicine"}', '{}'),
    ('elderly_care', 'healthcare', 'healthcare', 'geriatrics', 'lão khoa', '{"elderly care","ageing","aging","chăm sóc người cao tuổi"}', '{}'),
    ('health_policy', 'healthcare', 'public_health', 'health policy', 'chính sách y tế', '{"health systems","health economics","health insurance","bảo hiểm y tế","kinh tế y tế"}', '{}'),
    ('pharmacy', 'pharmacy', NULL, 'pharmacy', 'dược học', '{"pharmaceutical sciences","dược","khoa học dược"}', '{}'),
    ('drug_discovery', 'pharmacy', 'pharmacy', 'drug discovery', 'phát hiện thuốc mới', '{"drug development","drug design","medicinal chemistry","hóa dược","thiết kế thuốc","nghiên cứu thuốc mới"}', '{}'),
    ('marine_natural_products', 'pharmacy', 'drug_discovery', 'marine natural products', 'hợp chất thiên nhiên biển', '{"marine drugs","marine bioactive compounds","hoạt chất sinh học biển","dược liệu biển"}', '{marine_biotechnology}'),
    ('medicinal_plants', 'pharmacy', 'pharmacy', 'medicinal plants', 'dược liệu', '{"herbal medicine","phytochemistry","natural products","cây thuốc","thảo dược"}', '{traditional_medicine}'),
    ('traditional_medicine', 'pharmacy', 'pharmacy', 'traditional medicine', 'y học cổ truyền', '{"traditional Vietnamese medicine","herbal remedies","đông y","thuốc nam"}', '{medicinal_plants}'),
    ('clinical_trials', 'pharmacy', 'pharmacy', 'clinical trials', 'thử nghiệm lâm sàng', '{"clinical research","clinical studies","nghiên cứu lâm sàng"}', '{}'),
    ('pharmacology', 'pharmacy', 'pharmacy', 'pharmacology', 'dược lý học', '{"pharmacokinetics","pharmacodynamics","toxicology","dược động học","độc chất học","dược lý"}', '{}'),
    ('pharmaceutical_technology', 'pharmacy', 'pharmacy', 'pharmaceutical technology', 'bào chế', '{"drug formulation","drug delivery","pharmaceutics","công nghệ bào chế","bào chế thuốc"}', '{}'),
    ('pharma_quality', 'pharmacy', 'pharmacy', 'pharmaceutical quality control', 'kiểm nghiệm thuốc', '{"drug quality control","GMP","good manufacturing practice","kiểm nghiệm dược phẩm"}', '{}'),
    ('clinical_pharmacy', 'pharmacy', 'pharmacy', 'clinical pharmacy', 'dược lâm sàng', '{"pharmaceutical care","pharmacovigilance","cảnh giác dược"}', '{}'),
    ('antimicrobial_resistance', 'pharmacy', 'pharmacology', 'antimicrobial resistance', 'kháng kháng sinh', '{"AMR","antibiotic resistance","kháng thuốc"}', '{infectious_diseases}'),
    ('tourism', 'tourism', NULL, 'tourism', 'du lịch', '{"tourism industry","travel and tourism","ngành du lịch"}', '{}'),
    ('marine_tourism', 'tourism', 'tourism', 'marine and coastal tourism', 'du lịch biển', '{"marine tourism","coastal tourism","beach tourism","island tourism","du lịch biển đảo","du lịch ven biển"}', '{}'),
    ('ecotourism', 'tourism', 'sustainable_tourism', 'ecotourism', 'du lịch sinh thái', '{"nature-based tourism","nature tourism"}', '{}'),
    ('sustainable_tourism', 'tourism', 'tourism', 'sustainable tourism', 'du lịch bền vững', '{"responsible tourism","du lịch có trách nhiệm"}', '{ecotourism}'),
    ('community_tourism', 'tourism', 'sustainable_tourism', 'community-based tourism', 'du lịch cộng đồng', '{"community tourism","homestay","rural tourism","du lịch nông thôn"}', '{}'),
    ('diving_tourism', 'tourism', 'marine_tourism', 'dive tourism', 'du lịch lặn biển', '{"diving tourism","scuba diving","lặn biển"}', '{}'),
    ('cruise_tourism', 'tourism', 'marine_tourism', 'cruise tourism', 'du lịch tàu biển', '{"cruise ships","cruise industry","tàu du lịch"}', '{}'),
    ('hospitality_management', 'tourism', 'tourism', 'hospitality management', 'quản trị khách sạn', '{"hotel management","hospitality","resort management","quản trị nhà hàng khách sạn","khách sạn"}', '{}'),
    ('destination_marketing', 'tourism', 'tourism', 'destination marketing', 'tiếp thị điểm đến', '{"tourism marketing","destination branding","destination management","xúc tiến du lịch","quảng bá du lịch"}', '{}'),
    ('cultural_tourism', 'tourism', 'tourism', 'cultural heritage tourism', 'du lịch văn hóa', '{"heritage tourism","cultural tourism","di sản văn hóa","du lịch di sản"}', '{}'),
    ('mice_tourism', 'tourism', 'tourism', 'MICE tourism', 'du lịch MICE', '{"MICE","events and conventions","du lịch hội nghị"}', '{}'),
    ('smart_tourism', 'tourism', 'tourism', 'smart tourism', 'du lịch thông minh', '{"digital tourism","e-tourism","du lịch số"}', '{digital_transformation}'),
    ('culinary_tourism', 'tourism', 'tourism', 'food tourism', 'du lịch ẩm thực', '{"culinary tourism","gastronomy","ẩm thực"}', '{}'),
    ('wellness_tourism', 'tourism', 'tourism', 'wellness tourism', 'du lịch chăm sóc sức khỏe', '{"health tourism","spa tourism","mineral springs","medical tourism","du lịch nghỉ dưỡng","du lịch y tế"}', '{}'),
    ('renewable_energy', 'renewable_energy', NULL, 'renewable energy', 'năng lượng tái tạo', '{"clean energy","green energy","sustainable energy","năng lượng sạch","năng lượng xanh"}', '{energy_transition}'),
    ('offshore_wind', 'renewable_energy', 'wind_energy', 'offshore wind', 'điện gió ngoài khơi', '{"offshore wind power","offshore wind farms","offshore wind energy","floating wind","điện gió biển"}', '{}'),
    ('wind_energy', 'renewable_energy', 'renewable_energy', 'wind energy', 'điện gió', '{"wind power","wind turbines","wind farms","năng lượng gió","tuabin gió"}', '{}'),
    ('solar_energy', 'renewable_energy', 'renewable_energy', 'solar energy', 'năng lượng mặt trời', '{"solar power","photovoltaics","PV","solar PV","điện mặt trời","pin mặt trời"}', '{}'),
    ('floating_solar', 'renewable_energy', 'solar_energy', 'floating solar', 'điện mặt trời nổi', '{"floating photovoltaics","floating PV"}', '{}'),
    ('energy_storage', 'renewable_energy', 'renewable_energy', 'energy storage', 'lưu trữ năng lượng', '{"batteries","battery storage","lithium-ion batteries","pin lưu trữ","lưu trữ điện"}', '{}'),
    ('green_hydrogen', 'renewable_energy', 'renewable_energy', 'green hydrogen', 'hydro xanh', '{"hydrogen","hydrogen economy","electrolysis","fuel cells","pin nhiên liệu","hiđrô xanh"}', '{}'),
    ('smart_grids', 'renewable_energy', 'power_systems', 'smart grids', 'lưới điện thông minh', '{"smart grid","microgrids","microgrid","grid integration","vi lưới"}', '{}'),
    ('power_systems', 'renewable_energy', 'renewable_energy', 'power systems engineering', 'hệ thống điện', '{"power systems","electrical power engineering","power electronics","điện tử công suất","lưới điện"}', '{}'),
    ('energy_efficiency', 'renewable_energy', 'renewable_energy', 'energy efficiency', 'hiệu quả năng lượng', '{"energy saving","energy management","tiết kiệm năng lượng"}', '{}'),
    ('bioenergy', 'renewable_energy', 'renewable_energy', 'bioenergy', 'năng lượng sinh khối', '{"biomass","biogas","biofuels","nhiên liệu sinh học","khí sinh học"}', '{}'),
    ('energy_transition', 'renewable_energy', 'renewable_energy', 'energy transition', 'chuyển dịch năng lượng', '{"energy policy","decarbonisation","decarbonization","net zero","phát thải ròng bằng 0","chính sách năng lượng"}', '{}'),
    ('logistics_seaports', 'logistics_seaports', NULL, 'logistics', 'logistics', '{"logistics and supply chain","dịch vụ logistics","hậu cần"}', '{}'),
    ('supply_chain', 'logistics_seaports', 'logistics_seaports', 'supply chain management', 'quản lý chuỗi cung ứng', '{"supply chain","supply chains","chuỗi cung ứng"}', '{}'),
    ('port_logistics', 'logistics_seaports', 'logistics_seaports', 'port logistics', 'logistics cảng biển', '{"port operations","terminal operations","container terminals","khai thác cảng","cảng container"}', '{seaports}'),
    ('seaports', 'logistics_seaports', 'logistics_seaports', 'seaports', 'cảng biển', '{"ports","port development","port planning","harbour","harbor","deep-water port","cảng nước sâu","quy hoạch cảng"}', '{port_logistics}'),
    ('maritime_transport', 'logistics_seaports', 'logistics_seaports', 'maritime transport', 'vận tải biển', '{"shipping","maritime shipping","ocean shipping","sea transport","hàng hải"}', '{}'),
    ('container_shipping', 'logistics_seaports', 'maritime_transport', 'container shipping', 'vận tải container', '{"containerisation","containerization","container transport","liner shipping"}', '{}'),
    ('green_shipping', 'logistics_seaports', 'maritime_transport', 'green shipping', 'vận tải biển xanh', '{"maritime decarbonisation","green ports","cảng xanh","shipping emissions"}', '{}'),
    ('freight_forwarding', 'logistics_seaports', 'logistics_seaports', 'freight forwarding', 'giao nhận vận tải', '{"freight","forwarding","customs brokerage","thủ tục hải quan"}', '{}'),
    ('cold_chain', 'logistics_seaports', 'supply_chain', 'cold chain logistics', 'logistics chuỗi lạnh', '{"cold chain","refrigerated transport","kho lạnh","chuỗi lạnh"}', '{}'),
    ('warehousing', 'logistics_seaports', 'supply_chain', 'warehousing and distribution', 'kho bãi và phân phối', '{"warehouse management","distribution centres","distribution centers","kho vận"}', '{}'),
    ('transport_planning', 'logistics_seaports', 'logistics_seaports', 'transport planning', 'quy hoạch giao thông', '{"transportation engineering","traffic engineering","giao thông vận tải","kỹ thuật giao thông"}', '{}'),
    ('maritime_safety', 'logistics_seaports', 'maritime_transport', 'maritime safety', 'an toàn hàng hải', '{"navigation safety","search and rescue","tìm kiếm cứu nạn"}', '{}'),
    ('education', 'education', NULL, 'education', 'giáo dục và đào tạo', '{"education and training","giáo dục","đào tạo"}', '{}'),
    ('higher_education', 'education', 'education', 'higher education', 'giáo dục đại học', '{"university education","university governance","quản trị đại học","đại học"}', '{}'),
    ('stem_education', 'education', 'education', 'STEM education', 'giáo dục STEM', '{"science education","STEM","giáo dục khoa học"}', '{}'),
    ('e_learning', 'education', 'education', 'e-learning', 'học trực tuyến', '{"online learning","distance learning","elearning","MOOC","đào tạo trực tuyến","học tập trực tuyến"}', '{edtech}'),
    ('edtech', 'education', 'education', 'educational technology', 'công nghệ giáo dục', '{"edtech","EdTech","technology-enhanced learning","learning analytics"}', '{e_learning}'),
    ('curriculum_design', 'education', 'education', 'curriculum design', 'thiết kế chương trình đào tạo', '{"curriculum development","syllabus design","phát triển chương trình"}', '{}'),
    ('teacher_training', 'education', 'education', 'teacher training', 'đào tạo giáo viên', '{"teacher education","teacher professional development","bồi dưỡng giáo viên"}', '{}'),
    ('vocational_training', 'education', 'education', 'vocational education and training', 'giáo dục nghề nghiệp', '{"vocational training","TVET","technical education","dạy nghề","đào tạo nghề"}', '{}'),
    ('language_education', 'education', 'education', 'language teaching', 'giảng dạy ngoại ngữ', '{"English language teaching","TESOL","foreign language education","dạy tiếng Anh"}', '{}'),
    ('early_childhood', 'education', 'education', 'early childhood education', 'giáo dục mầm non', '{"preschool education","mầm non"}', '{}'),
    ('education_policy', 'education', 'education', 'education policy', 'chính sách giáo dục', '{"educational management","quản lý giáo dục"}', '{}'),
    ('talent_development', 'education', 'education', 'talent development', 'phát triển nhân tài', '{"gifted education","human resource development","phát triển nguồn nhân lực","bồi dưỡng nhân tài"}', '{}'),
    ('environment_climate', 'environment_climate', NULL, 'environment and climate', 'môi trường và biến đổi khí hậu', '{"environmental science","khoa học môi trường","môi trường"}', '{}'),
    ('climate_change', 'environment_climate', 'environment_climate', 'climate change', 'biến đổi khí hậu', '{"global warming","climate science","khí hậu"}', '{}'),
    ('climate_adaptation', 'environment_climate', 'climate_change', 'climate change adaptation', 'thích ứng với biến đổi khí hậu', '{"climate adaptation","climate resilience","climate risk","thích ứng biến đổi khí hậu"}', '{}'),
    ('climate_mitigation', 'environment_climate', 'climate_change', 'climate change mitigation', 'giảm nhẹ biến đổi khí hậu', '{"greenhouse gas emissions","carbon emissions","carbon footprint","phát thải khí nhà kính"}', '{}'),
    ('sea_level_rise', 'environment_climate', 'climate_change', 'sea level rise', 'nước biển dâng', '{"sea-level rise","storm surge","saltwater intrusion","xâm nhập mặn","triều cường"}', '{}'),
    ('coastal_erosion', 'environment_climate', 'environment_climate', 'coastal erosion', 'xói lở bờ biển', '{"shoreline erosion","beach erosion","shoreline change","sạt lở bờ biển"}', '{}'),
    ('water_quality', 'environment_climate', 'environment_climate', 'water quality', 'chất lượng nước', '{"water quality monitoring","water pollution","quan trắc chất lượng nước","ô nhiễm nước"}', '{}'),
    ('water_treatment', 'environment_climate', 'environment_climate', 'water and wastewater treatment', 'xử lý nước và nước thải', '{"wastewater treatment","water treatment","desalination","xử lý nước thải","khử mặn"}', '{}'),
    ('water_resources', 'environment_climate', 'environment_climate', 'water resources management', 'quản lý tài nguyên nước', '{"hydrology","water resources","watershed management","thủy văn","tài nguyên nước"}', '{}'),
    ('marine_pollution', 'environment_climate', 'environment_climate', 'marine pollution', 'ô nhiễm biển', '{"ocean pollution","oil spills","marine litter","tràn dầu","rác thải biển"}', '{}'),
    ('plastic_pollution', 'environment_climate', 'marine_pollution', 'plastic pollution', 'ô nhiễm nhựa', '{"microplastics","marine plastics","plastic waste","vi nhựa","rác thải nhựa"}', '{}'),
    ('mangroves', 'environment_climate', 'environment_climate', 'mangrove ecosystems', 'hệ sinh thái rừng ngập mặn', '{"mangroves","mangrove","mangrove restoration","rừng ngập mặn","trồng rừng ngập mặn"}', '{blue_carbon}'),
    ('blue_carbon', 'environment_climate', 'climate_mitigation', 'blue carbon', 'các-bon xanh lam', '{"coastal blue carbon","carbon sequestration","hấp thụ các-bon"}', '{mangroves}'),
    ('air_quality', 'environment_climate', 'environment_climate', 'air quality', 'chất lượng không khí', '{"air pollution","ô nhiễm không khí"}', '{}'),
    ('waste_management', 'environment_climate', 'environment_climate', 'solid waste management', 'quản lý chất thải rắn', '{"waste management","recycling","circular economy","kinh tế tuần hoàn","tái chế","quản lý chất thải"}', '{}'),
    ('disaster_risk', 'environment_climate', 'environment_climate', 'disaster risk reduction', 'giảm nhẹ rủi ro thiên tai', '{"natural hazards","flood risk","typhoons","early warning","phòng chống thiên tai","bão lũ","cảnh báo sớm"}', '{}'),
    ('environmental_impact', 'environment_climate', 'environment_climate', 'environmental impact assessment', 'đánh giá tác động môi trường', '{"EIA","environmental assessment","ĐTM"}', '{}'),
    ('biodiversity', 'environment_climate', 'environment_climate', 'biodiversity conservation', 'bảo tồn đa dạng sinh học', '{"biodiversity","nature conservation","đa dạng sinh học"}', '{marine_biodiversity}'),
    ('environmental_monitoring', 'environment_climate', 'environment_climate', 'environmental monitoring', 'quan trắc môi trường', '{"environmental sensing","pollution monitoring","quan trắc"}', '{water_quality}'),
    ('agriculture', 'agriculture', NULL, 'agriculture', 'nông nghiệp', '{"agricultural science","farming","agronomy","nông học"}', '{}'),
    ('high_tech_agriculture', 'agriculture', 'agriculture', 'high-tech agriculture', 'nông nghiệp công nghệ cao', '{"agritech","agtech","smart farming","smart agriculture","precision agriculture","nông nghiệp thông minh","nông nghiệp chính xác"}', '{iot}'),
    ('greenhouse', 'agriculture', 'high_tech_agriculture', 'greenhouse cultivation', 'canh tác nhà kính', '{"greenhouses","protected cultivation","hydroponics","vertical farming","thủy canh","nhà màng"}', '{}'),
    ('food_security', 'agriculture', 'agriculture', 'food security', 'an ninh lương thực', '{"food systems","hệ thống lương thực"}', '{}'),
    ('food_safety', 'agriculture', 'agriculture', 'food safety', 'an toàn thực phẩm', '{"food hygiene","food quality","vệ sinh an toàn thực phẩm","chất lượng thực phẩm"}', '{}'),
    ('food_technology', 'agriculture', 'agriculture', 'food technology', 'công nghệ thực phẩm', '{"food science","food processing","food engineering","chế biến thực phẩm","khoa học thực phẩm"}', '{}'),
    ('post_harvest', 'agriculture', 'food_technology', 'post-harvest technology', 'công nghệ sau thu hoạch', '{"postharvest","post-harvest losses","bảo quản sau thu hoạch","sau thu hoạch"}', '{}'),
    ('salt_tolerant_crops', 'agriculture', 'crop_science', 'salt-tolerant crops', 'cây trồng chịu mặn', '{"salinity tolerance","saline agriculture","giống chịu mặn","salt tolerance"}', '{sea_level_rise}'),
    ('crop_science', 'agriculture', 'agriculture', 'crop science', 'khoa học cây trồng', '{"plant breeding","crop breeding","plant genetics","chọn tạo giống cây trồng","trồng trọt"}', '{}'),
    ('soil_science', 'agriculture', 'agriculture', 'soil science', 'khoa học đất', '{"soil fertility","soil health","thổ nhưỡng","độ phì đất"}', '{}'),
    ('plant_protection', 'agriculture', 'agriculture', 'plant protection', 'bảo vệ thực vật', '{"pest management","integrated pest management","IPM","plant pathology","bệnh cây","sâu bệnh"}', '{}'),
    ('livestock', 'agriculture', 'agriculture', 'animal husbandry', 'chăn nuôi', '{"livestock","livestock production","veterinary science","thú y","animal science"}', '{}'),
    ('organic_agriculture', 'agriculture', 'agriculture', 'organic agriculture', 'nông nghiệp hữu cơ', '{"organic farming","canh tác hữu cơ"}', '{}'),
    ('agricultural_economics', 'agriculture', 'agriculture', 'agricultural economics', 'kinh tế nông nghiệp', '{"agribusiness","rural development","value chains","phát triển nông thôn","chuỗi giá trị nông sản"}', '{}'),
    ('fruit_crops', 'agriculture', 'crop_science', 'tropical fruit production', 'cây ăn quả nhiệt đới', '{"horticulture","fruit crops","mango","dragon fruit","cây ăn trái","thanh long","xoài"}', '{}'),
    ('irrigation', 'agriculture', 'agriculture', 'irrigation', 'thủy lợi', '{"irrigation engineering","water-saving irrigation","drip irrigation","tưới tiêu","tưới nhỏ giọt"}', '{water_resources}'),
    ('forestry', 'agriculture', 'agriculture', 'forestry', 'lâm nghiệp', '{"forest management","agroforestry","nông lâm kết hợp","quản lý rừng"}', '{}'),
    ('bird_nest', 'agriculture', 'agriculture', 'edible bird''s nest', 'yến sào', '{"swiftlet farming","bird''s nest","nuôi chim yến","yến"}', '{}'),
    ('finance', 'finance', NULL, 'finance', 'tài chính', '{"financial services","economics","kinh tế học","dịch vụ tài chính"}', '{}'),
    ('fintech', 'finance', 'finance', 'fintech', 'công nghệ tài chính', '{"financial technology","digital payments","mobile money","thanh toán điện tử","thanh toán số","ngân hàng số","digital banking"}', '{}'),
    ('green_finance', 'finance', 'finance', 'green finance', 'tài chính xanh', '{"sustainable finance","climate finance","green bonds","ESG investing","ESG","trái phiếu xanh","tín dụng xanh"}', '{}'),
    ('investment_promotion', 'finance', 'finance', 'investment promotion', 'xúc tiến đầu tư', '{"foreign direct investment","FDI","investment attraction","thu hút đầu tư","đầu tư nước ngoài"}', '{}'),
    ('public_finance', 'finance', 'finance', 'public finance', 'tài chính công', '{"fiscal policy","public budgeting","taxation","ngân sách nhà nước","thuế","chính sách tài khóa"}', '{}'),
    ('banking', 'finance', 'finance', 'banking', 'ngân hàng', '{"commercial banking","credit","bank management","tín dụng","quản trị ngân hàng"}', '{}'),
    ('financial_markets', 'finance', 'finance', 'financial markets', 'thị trường tài chính', '{"capital markets","stock market","securities","thị trường chứng khoán","chứng khoán"}', '{}'),
    ('accounting', 'finance', 'finance', 'accounting and auditing', 'kế toán và kiểm toán', '{"accounting","auditing","financial reporting","kế toán","kiểm toán","IFRS"}', '{}'),
    ('risk_management', 'finance', 'finance', 'financial risk management', 'quản trị rủi ro tài chính', '{"risk management","credit risk","quản lý rủi ro"}', '{}'),
    ('insurance', 'finance', 'finance', 'insurance', 'bảo hiểm', '{"actuarial science","reinsurance","định phí bảo hiểm"}', '{}'),
    ('microfinance', 'finance', 'finance', 'microfinance', 'tài chính vi mô', '{"microcredit","financial inclusion","tài chính toàn diện","tín dụng vi mô"}', '{}'),
    ('development_economics', 'finance', 'finance', 'development economics', 'kinh tế phát triển', '{"economic development","regional development","phát triển kinh tế","kinh tế vùng"}', '{}'),
    ('startup_finance', 'finance', 'finance', 'startup and venture finance', 'tài chính khởi nghiệp', '{"venture capital","startups","startup ecosystem","innovation ecosystem","khởi nghiệp","đổi mới sáng tạo","quỹ đầu tư mạo hiểm"}', '{}'),
    ('real_estate', 'finance', 'finance', 'real estate economics', 'kinh tế bất động sản', '{"real estate","property markets","bất động sản"}', '{}')
;
INSERT INTO khnet_concepts (key, sector_id)
SELECT c.key, s.id FROM seed_concepts c LEFT JOIN khnet_sectors s ON s.slug = c.sector;
-- a label is Vietnamese when folding changes it (diacritics, đ)
INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)
SELECT DISTINCT ON (k.id, l.lang, t.term) k.id, l.lang, l.pref, l.label, t.term
  FROM seed_concepts c JOIN khnet_concepts k ON k.key = c.key
 CROSS JOIN LATERAL (SELECT 'en', true, c.pref_en, 0 UNION ALL SELECT 'vi', true, c.pref_vi, 1
                     UNION ALL SELECT CASE WHEN khnet_fold(a) = lower(a) THEN 'en' ELSE 'vi' END,
                                      false, a, 1 + n
                       FROM unnest(c.alt) WITH ORDINALITY u(a, n)) l(lang, pref, label, ord)
 CROSS JOIN LATERAL (SELECT btrim(regexp_replace(khnet_fold(l.label), '[^[:alnum:]]+', ' ', 'g')) AS term) t
 ORDER BY k.id, l.lang, t.term, l.pref DESC, l.ord;
INSERT INTO khnet_concept_links (concept_id, kind, target_id)
SELECT k.id, 'broader', b.id FROM seed_concepts c JOIN khnet_concepts k ON k.key = c.key
  JOIN khnet_concepts b ON b.key = c.broader
UNION
SELECT k.id, 'related', r.id FROM seed_concepts c JOIN khnet_concepts k ON k.key = c.key
 CROSS JOIN unnest(c.related) x JOIN khnet_concepts r ON r.key = x;
