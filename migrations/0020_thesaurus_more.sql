-- 0020_thesaurus_more.sql — more of the shipped vocabulary (issue 11):
-- sub-fields that experts of the 14 priority sectors write and that the
-- first seed (0009) lacked, each with its common English and Vietnamese
-- terms, and a few more terms for concepts that exist.  Data only, loaded
-- the way 0009 loads its own; the functions live in the repeatable files.
-- What officers edited since through the API stays: a concept whose key
-- exists keeps its preferred labels and gains only the terms it lacks.

CREATE TEMPORARY TABLE seed_more (key text, sector text, broader text, pref_en text,
                                  pref_vi text, alt text[], related text[]) ON COMMIT DROP;
INSERT INTO seed_more VALUES
    -- information technology and AI
    ('computer_networks', 'it_ai', 'it_ai', 'computer networks', 'mạng máy tính', '{"networking","network engineering","software-defined networking","SDN","kỹ thuật mạng","mạng truyền thông"}', '{telecommunications}'),
    ('databases', 'it_ai', 'it_ai', 'database systems', 'hệ cơ sở dữ liệu', '{"databases","database management","data management","data engineering","cơ sở dữ liệu","quản trị cơ sở dữ liệu"}', '{data_science}'),
    ('quantum_computing', 'it_ai', 'it_ai', 'quantum computing', 'điện toán lượng tử', '{"quantum information","quantum algorithms","quantum computers","tính toán lượng tử","máy tính lượng tử"}', '{cryptography}'),
    ('recommender_systems', 'it_ai', 'machine_learning', 'recommender systems', 'hệ thống gợi ý', '{"recommendation systems","recommendation engines","personalisation","personalization","hệ gợi ý"}', '{}'),
    ('edge_computing', 'it_ai', 'distributed_systems', 'edge computing', 'điện toán biên', '{"fog computing","edge AI","mobile edge computing"}', '{iot}'),
    ('ai_ethics', 'it_ai', 'artificial_intelligence', 'AI ethics and governance', 'đạo đức trí tuệ nhân tạo', '{"AI ethics","responsible AI","AI governance","trustworthy AI","đạo đức AI","quản trị AI"}', '{}'),
    ('digital_economy', 'it_ai', 'digital_transformation', 'digital economy', 'kinh tế số', '{"e-commerce","ecommerce","online business","platform economy","thương mại điện tử","nền kinh tế số"}', '{fintech}'),
    ('geoai', 'it_ai', 'artificial_intelligence', 'AI for earth and ocean data', 'trí tuệ nhân tạo cho dữ liệu địa không gian', '{"GeoAI","AI for remote sensing","machine learning for remote sensing","AI for oceanography"}', '{remote_sensing}'),
    -- high-tech industry
    ('biotechnology', 'high_tech_industry', 'high_tech_industry', 'biotechnology', 'công nghệ sinh học', '{"biotech","industrial biotechnology","genetic engineering","molecular biology","công nghệ gen","sinh học phân tử"}', '{marine_biotechnology}'),
    ('drones', 'high_tech_industry', 'robotics', 'unmanned aerial vehicles', 'máy bay không người lái', '{"UAV","UAVs","drones","drone","aerial robotics","thiết bị bay không người lái","flycam"}', '{usv}'),
    ('electric_vehicles', 'renewable_energy', 'energy_transition', 'electric vehicles', 'xe điện', '{"EV","EVs","electric mobility","e-mobility","EV charging","ô tô điện","xe máy điện","phương tiện giao thông điện"}', '{energy_storage}'),
    ('mems', 'high_tech_industry', 'sensors', 'microelectromechanical systems', 'vi cơ điện tử', '{"MEMS","microsystems","micro-electro-mechanical systems"}', '{semiconductors}'),
    ('electrical_engineering', 'high_tech_industry', 'high_tech_industry', 'electrical engineering', 'kỹ thuật điện', '{"electrical and electronic engineering","EEE","điện - điện tử","kỹ thuật điện - điện tử"}', '{electronics,power_systems}'),
    -- healthcare
    ('neurology', 'healthcare', 'healthcare', 'neurology', 'thần kinh học', '{"neuroscience","neurosciences","stroke","brain research","thần kinh","đột quỵ","khoa học thần kinh"}', '{}'),
    ('surgery', 'healthcare', 'healthcare', 'surgery', 'phẫu thuật', '{"surgical sciences","general surgery","minimally invasive surgery","robotic surgery","ngoại khoa","phẫu thuật nội soi"}', '{}'),
    ('dentistry', 'healthcare', 'healthcare', 'dentistry', 'nha khoa', '{"dental medicine","oral health","orthodontics","răng hàm mặt","sức khỏe răng miệng"}', '{}'),
    ('nursing', 'healthcare', 'healthcare', 'nursing', 'điều dưỡng', '{"nursing care","nurse education","điều dưỡng viên","chăm sóc điều dưỡng"}', '{elderly_care}'),
    ('medical_genetics', 'healthcare', 'healthcare', 'medical genetics and genomics', 'di truyền y học', '{"genomics","medical genomics","human genetics","precision medicine","genome sequencing","hệ gen","y học chính xác","giải trình tự gen"}', '{biotechnology}'),
    ('endocrinology', 'healthcare', 'healthcare', 'endocrinology and diabetes', 'nội tiết và đái tháo đường', '{"endocrinology","diabetes","metabolic diseases","obesity","nội tiết","đái tháo đường","tiểu đường","bệnh chuyển hóa"}', '{nutrition_health}'),
    ('emergency_medicine', 'healthcare', 'healthcare', 'emergency medicine', 'cấp cứu', '{"emergency care","critical care","intensive care","trauma care","hồi sức cấp cứu","hồi sức tích cực"}', '{}'),
    ('rehabilitation', 'healthcare', 'healthcare', 'rehabilitation medicine', 'phục hồi chức năng', '{"rehabilitation","physiotherapy","physical therapy","vật lý trị liệu"}', '{elderly_care}'),
    ('hospital_management', 'healthcare', 'health_policy', 'hospital management', 'quản lý bệnh viện', '{"healthcare management","health services management","hospital administration","quản trị bệnh viện","quản lý y tế"}', '{digital_health}'),
    ('ophthalmology', 'healthcare', 'healthcare', 'ophthalmology', 'nhãn khoa', '{"eye care","vision science","bệnh về mắt"}', '{}'),
    ('hiv', 'healthcare', 'infectious_diseases', 'HIV/AIDS', 'HIV/AIDS', '{"HIV","AIDS","HIV prevention","phòng chống HIV"}', '{}'),
    -- pharmacy
    ('biopharmaceuticals', 'pharmacy', 'pharmacy', 'biopharmaceuticals', 'sinh dược phẩm', '{"biologics","biopharmaceutical","biosimilars","monoclonal antibodies","thuốc sinh học","sinh phẩm"}', '{vaccines,biotechnology}'),
    ('cosmetic_science', 'pharmacy', 'pharmacy', 'cosmetic science', 'khoa học mỹ phẩm', '{"cosmetics","cosmeceuticals","mỹ phẩm"}', '{}'),
    ('pharmacy_management', 'pharmacy', 'pharmacy', 'pharmacy management', 'quản lý dược', '{"pharmaceutical management","drug regulation","drug policy","pharmaceutical supply chain","quản lý dược phẩm","chính sách thuốc"}', '{}'),
    -- agriculture
    ('rice', 'agriculture', 'crop_science', 'rice science', 'khoa học cây lúa', '{"rice","rice breeding","rice production","paddy","lúa gạo","cây lúa","chọn giống lúa"}', '{salt_tolerant_crops}'),
    ('plant_biotechnology', 'agriculture', 'crop_science', 'plant biotechnology', 'công nghệ sinh học thực vật', '{"plant tissue culture","tissue culture","GMO crops","genetically modified crops","nuôi cấy mô","cây trồng biến đổi gen"}', '{biotechnology}'),
    ('farm_mechanization', 'agriculture', 'agriculture', 'agricultural mechanisation', 'cơ giới hóa nông nghiệp', '{"agricultural mechanization","farm machinery","agricultural engineering","máy nông nghiệp","kỹ thuật nông nghiệp"}', '{high_tech_agriculture}'),
    ('aquaponics', 'aquaculture', 'aquaculture', 'aquaponics', 'aquaponics', '{"aquaponic systems","nuôi cá trồng rau","hệ thống aquaponics"}', '{greenhouse,ras}'),
    ('industrial_crops', 'agriculture', 'agriculture', 'industrial crops', 'cây công nghiệp', '{"sugarcane","cashew","coconut","coffee","pepper","mía","cây điều","cây dừa","cà phê","hồ tiêu"}', '{}'),
    ('fertilizers', 'agriculture', 'soil_science', 'fertilisers and plant nutrition', 'phân bón và dinh dưỡng cây trồng', '{"fertilizers","fertilisers","plant nutrition","biofertilisers","biofertilizers","phân bón","phân bón hữu cơ","phân vi sinh"}', '{organic_agriculture}'),
    -- aquaculture (the species officers name)
    ('tilapia', 'aquaculture', 'freshwater_aquaculture', 'tilapia farming', 'nuôi cá rô phi', '{"tilapia","cá rô phi"}', '{}'),
    ('abalone', 'aquaculture', 'bivalve_farming', 'abalone and snail farming', 'nuôi bào ngư và ốc', '{"abalone","babylon snail","spotted babylon","bào ngư","ốc hương"}', '{}'),
    ('fish_vaccines', 'aquaculture', 'aquatic_animal_health', 'fish vaccines and probiotics', 'vắc xin và chế phẩm sinh học thủy sản', '{"fish vaccination","aquaculture vaccines","probiotics in aquaculture","chế phẩm sinh học","vắc xin thủy sản"}', '{vaccines}'),
    -- renewable energy
    ('hydropower', 'renewable_energy', 'renewable_energy', 'hydropower', 'thủy điện', '{"hydroelectric power","hydroelectricity","small hydropower","pumped storage","thủy điện nhỏ","thủy điện tích năng"}', '{}'),
    ('rooftop_solar', 'renewable_energy', 'solar_energy', 'rooftop solar', 'điện mặt trời mái nhà', '{"rooftop PV","rooftop photovoltaics","distributed solar","điện mặt trời áp mái"}', '{}'),
    ('geothermal', 'renewable_energy', 'renewable_energy', 'geothermal energy', 'năng lượng địa nhiệt', '{"geothermal","geothermal power","địa nhiệt"}', '{}'),
    -- tourism
    ('tourism_planning', 'tourism', 'tourism', 'tourism planning and development', 'quy hoạch và phát triển du lịch', '{"tourism planning","tourism development","tourism policy","quy hoạch du lịch","phát triển du lịch","chính sách du lịch"}', '{destination_marketing}'),
    ('tour_guiding', 'tourism', 'tourism', 'tour guiding and travel services', 'hướng dẫn du lịch và lữ hành', '{"tour guiding","tour operations","travel agencies","tour operators","lữ hành","hướng dẫn viên du lịch","kinh doanh lữ hành"}', '{}'),
    ('night_economy', 'tourism', 'tourism', 'night-time economy', 'kinh tế ban đêm', '{"night economy","nightlife tourism","entertainment tourism","du lịch đêm"}', '{}'),
    ('adventure_tourism', 'tourism', 'tourism', 'adventure and sports tourism', 'du lịch mạo hiểm và thể thao', '{"adventure tourism","sports tourism","golf tourism","du lịch mạo hiểm","du lịch thể thao","du lịch golf"}', '{diving_tourism}'),
    ('tourism_human_resources', 'tourism', 'tourism', 'tourism workforce training', 'đào tạo nhân lực du lịch', '{"tourism education","hospitality training","tourism human resources","nhân lực du lịch"}', '{vocational_training}'),
    -- logistics and seaports
    ('aviation', 'logistics_seaports', 'logistics_seaports', 'aviation and airports', 'hàng không và cảng hàng không', '{"aviation","airports","air transport","air cargo","aviation management","hàng không","sân bay","vận tải hàng không","cảng hàng không"}', '{}'),
    ('multimodal_transport', 'logistics_seaports', 'logistics_seaports', 'multimodal transport', 'vận tải đa phương thức', '{"intermodal transport","multimodal logistics","combined transport"}', '{container_shipping}'),
    ('ecommerce_logistics', 'logistics_seaports', 'logistics_seaports', 'e-commerce logistics', 'logistics thương mại điện tử', '{"last-mile delivery","last mile delivery","fulfilment","fulfillment","giao hàng chặng cuối"}', '{digital_economy}'),
    ('customs', 'logistics_seaports', 'logistics_seaports', 'customs and trade facilitation', 'hải quan và tạo thuận lợi thương mại', '{"customs","trade facilitation","customs management","hải quan","thông quan"}', '{freight_forwarding}'),
    ('port_management', 'logistics_seaports', 'seaports', 'port management and economics', 'quản lý và kinh tế cảng', '{"port management","port economics","port governance","port authority","quản lý cảng","kinh tế cảng biển"}', '{port_logistics}'),
    -- finance and economics
    ('econometrics', 'finance', 'finance', 'econometrics', 'kinh tế lượng', '{"applied econometrics","economic modelling","economic modeling","mô hình kinh tế"}', '{}'),
    ('monetary_policy', 'finance', 'finance', 'monetary policy and macroeconomics', 'chính sách tiền tệ và kinh tế vĩ mô', '{"monetary policy","macroeconomics","central banking","inflation","chính sách tiền tệ","kinh tế vĩ mô"}', '{}'),
    ('corporate_finance', 'finance', 'finance', 'corporate finance', 'tài chính doanh nghiệp', '{"business finance","corporate governance","mergers and acquisitions","valuation","quản trị doanh nghiệp","định giá doanh nghiệp"}', '{}'),
    ('international_trade', 'finance', 'finance', 'international trade', 'thương mại quốc tế', '{"foreign trade","trade policy","free trade agreements","FTA","exports","xuất nhập khẩu","kinh tế đối ngoại","hiệp định thương mại tự do"}', '{seafood_export,customs}'),
    ('sme_development', 'finance', 'development_economics', 'SME development', 'phát triển doanh nghiệp nhỏ và vừa', '{"SMEs","small and medium enterprises","entrepreneurship","doanh nghiệp nhỏ và vừa","khởi sự kinh doanh"}', '{startup_finance}'),
    ('behavioural_economics', 'finance', 'finance', 'behavioural economics', 'kinh tế học hành vi', '{"behavioral economics","behavioural finance","behavioral finance","tài chính hành vi"}', '{}'),
    -- education
    ('educational_assessment', 'education', 'education', 'educational assessment and quality assurance', 'khảo thí và kiểm định chất lượng giáo dục', '{"educational assessment","quality assurance in education","accreditation","testing and assessment","kiểm định chất lượng","đánh giá giáo dục","khảo thí"}', '{higher_education}'),
    ('special_education', 'education', 'education', 'special and inclusive education', 'giáo dục đặc biệt và hòa nhập', '{"special education","inclusive education","special needs education","giáo dục hòa nhập","giáo dục đặc biệt"}', '{}'),
    ('lifelong_learning', 'education', 'education', 'lifelong learning', 'học tập suốt đời', '{"adult education","continuing education","community learning","giáo dục thường xuyên","giáo dục người lớn"}', '{}'),
    ('international_education', 'education', 'higher_education', 'international education', 'hợp tác quốc tế trong giáo dục', '{"study abroad","internationalisation of higher education","internationalization of higher education","student mobility","du học","quốc tế hóa giáo dục"}', '{}'),
    ('research_capacity', 'education', 'higher_education', 'research capacity building', 'nâng cao năng lực nghiên cứu', '{"research training","research methods","research methodology","scientific writing","phương pháp nghiên cứu khoa học","năng lực nghiên cứu"}', '{talent_development}'),
    -- environment and climate
    ('carbon_markets', 'environment_climate', 'climate_mitigation', 'carbon markets', 'thị trường các-bon', '{"carbon credits","carbon trading","emissions trading","carbon pricing","tín chỉ các-bon","tín chỉ carbon","thị trường carbon"}', '{green_finance,blue_carbon}'),
    ('environmental_policy', 'environment_climate', 'environment_climate', 'environmental policy and law', 'chính sách và pháp luật môi trường', '{"environmental policy","environmental law","environmental governance","environmental management","luật môi trường","quản lý môi trường","chính sách môi trường"}', '{}'),
    ('meteorology', 'environment_climate', 'climate_change', 'meteorology', 'khí tượng', '{"weather forecasting","atmospheric science","climate modelling","climate modeling","khí tượng thủy văn","dự báo thời tiết","mô hình khí hậu"}', '{disaster_risk}'),
    ('ocean_acidification', 'environment_climate', 'climate_change', 'ocean acidification', 'axit hóa đại dương', '{"ocean acidity","marine carbonate chemistry","axit hóa biển"}', '{coral_reefs}'),
    ('life_cycle_assessment', 'environment_climate', 'environment_climate', 'life cycle assessment', 'đánh giá vòng đời sản phẩm', '{"LCA","life-cycle assessment","sustainability assessment","environmental footprint","đánh giá vòng đời"}', '{waste_management}'),
    ('wetlands', 'environment_climate', 'biodiversity', 'wetland ecology', 'sinh thái đất ngập nước', '{"wetlands","lagoons","estuaries","đất ngập nước","đầm phá","cửa sông"}', '{mangroves}'),
    ('urban_planning', 'environment_climate', 'environment_climate', 'urban planning', 'quy hoạch đô thị', '{"urban design","spatial planning","urban development","green building","quy hoạch xây dựng","phát triển đô thị","công trình xanh"}', '{smart_city}'),
    -- ocean technology
    ('marine_chemistry', 'ocean_technology', 'oceanography', 'marine chemistry', 'hóa học biển', '{"chemical oceanography","seawater chemistry","marine biogeochemistry","hóa học nước biển"}', '{ocean_acidification}'),
    ('hydrography', 'ocean_technology', 'ocean_technology', 'hydrographic surveying', 'khảo sát thủy đạc', '{"hydrography","hydrographic survey","multibeam echosounder","nautical charting","thủy đạc","đo sâu hồi âm"}', '{marine_geology}'),
    ('ship_design', 'ocean_technology', 'ocean_technology', 'ship design and marine engineering', 'thiết kế tàu và kỹ thuật hàng hải', '{"marine engineering","ship design","ship hydrodynamics","marine propulsion","máy tàu thủy","thiết kế tàu thủy","kỹ thuật tàu thủy"}', '{shipbuilding}'),
    ('coastal_engineering', 'ocean_technology', 'offshore_engineering', 'coastal engineering', 'kỹ thuật bờ biển', '{"coastal protection","breakwaters","sea dikes","shore protection","bảo vệ bờ biển","đê biển","kè biển"}', '{coastal_erosion}'),
    -- marine economy
    ('fishing_communities', 'marine_economy', 'fisheries_management', 'coastal livelihoods and fishing communities', 'sinh kế ven biển và cộng đồng ngư dân', '{"fishing communities","coastal livelihoods","small-scale fisheries","fishers","ngư dân","sinh kế ngư dân","nghề cá quy mô nhỏ"}', '{community_tourism}'),
    ('sea_islands', 'marine_economy', 'marine_economy', 'islands and archipelago development', 'phát triển biển đảo', '{"island development","islands","archipelagos","biển đảo","huyện đảo","Trường Sa"}', '{ocean_governance}')
;

INSERT INTO khnet_concepts (key, sector_id)
SELECT c.key, s.id FROM seed_more c LEFT JOIN khnet_sectors s ON s.slug = c.sector
ON CONFLICT (key) DO NOTHING;

-- Terms for concepts that exist (0009's): synonyms officers type.
CREATE TEMPORARY TABLE seed_more_alt (key text, alt text[]) ON COMMIT DROP;
INSERT INTO seed_more_alt VALUES
    ('artificial_intelligence', '{"AI research","applied AI","AI applications","ứng dụng trí tuệ nhân tạo"}'),
    ('software_engineering', '{"programming","web development","mobile app development","lập trình","phát triển ứng dụng"}'),
    ('public_health', '{"global health","health promotion","preventive medicine","y học dự phòng"}'),
    ('marine_tourism', '{"resort tourism","du lịch nghỉ dưỡng biển"}'),
    ('fisheries_management', '{"sustainable fisheries","nghề cá bền vững"}'),
    ('seafood_processing', '{"seafood quality","seafood safety","an toàn thực phẩm thủy sản"}'),
    ('water_resources', '{"groundwater","nước ngầm","flood modelling","flood modeling","mô hình lũ"}'),
    ('higher_education', '{"university management","university administration","quản lý đại học"}'),
    ('talent_development', '{"young scientists","young talent","trí thức trẻ","nhân tài trẻ"}')
;

-- A label is Vietnamese when folding changes it (diacritics, đ), as in
-- 0009; a term a concept already holds in that language is kept as it is.
INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)
SELECT DISTINCT ON (k.id, l.lang, t.term) k.id, l.lang, l.pref, l.label, t.term
  FROM (SELECT key, pref_en, pref_vi, alt FROM seed_more
        UNION ALL SELECT key, NULL, NULL, alt FROM seed_more_alt) c
  JOIN khnet_concepts k ON k.key = c.key
 CROSS JOIN LATERAL (SELECT 'en', true, c.pref_en, 0 WHERE c.pref_en IS NOT NULL
                     UNION ALL SELECT 'vi', true, c.pref_vi, 1 WHERE c.pref_vi IS NOT NULL
                     UNION ALL SELECT CASE WHEN khnet_fold(a) = lower(a) THEN 'en' ELSE 'vi' END,
                                      false, a, 1 + n
                       FROM unnest(c.alt) WITH ORDINALITY u(a, n)) l(lang, pref, label, ord)
 CROSS JOIN LATERAL (SELECT btrim(regexp_replace(khnet_fold(l.label), '[^[:alnum:]]+', ' ', 'g')) AS term) t
 WHERE NOT EXISTS (SELECT 1 FROM khnet_concept_labels x
                    WHERE x.concept_id = k.id AND x.lang = l.lang
                      AND (x.term = t.term OR (x.pref AND l.pref)))
 ORDER BY k.id, l.lang, t.term, l.pref DESC, l.ord;

INSERT INTO khnet_concept_links (concept_id, kind, target_id)
SELECT k.id, 'broader', b.id FROM seed_more c JOIN khnet_concepts k ON k.key = c.key
  JOIN khnet_concepts b ON b.key = c.broader
UNION
SELECT k.id, 'related', r.id FROM seed_more c JOIN khnet_concepts k ON k.key = c.key
 CROSS JOIN unnest(c.related) x JOIN khnet_concepts r ON r.key = x
ON CONFLICT DO NOTHING;
