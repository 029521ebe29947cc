/* seed_data.c — real-world word lists for demo profiles: Vietnamese names
 * with their diacritics, the countries of the diaspora and of partner
 * universities, and fields and expertise for the province's 14 priority
 * sectors (slugs as in migrations/0003_profiles.sql). */
#include "seed_data.h"

#define N(a) (sizeof(a) / sizeof(a)[0])
#define LIST(name, ...)                                                                            \
    const char *const name[] = {__VA_ARGS__};                                                      \
    const size_t name##_n = N(name)

LIST(seed_family, "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng",
     "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý");
LIST(seed_middle, "Văn", "Thị", "Minh", "Hữu", "Thanh", "Ngọc", "Quốc", "Đức", "Thu", "Xuân", "Bảo",
     "Gia", "Hoài", "Kim", "Công", "Anh");
LIST(seed_given, "Anh", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hòa", "Hương", "Khánh", "Lan", "Long",
     "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thư", "Trang", "Tuấn", "Vy", "Hùng",
     "Linh", "Nhung", "Trí", "Việt", "Yến", "Đạt", "Ngân", "Phúc", "Quyên");
LIST(seed_positions, "Professor", "Associate Professor", "Senior Lecturer", "Lecturer",
     "Research Scientist", "Senior Research Scientist", "Postdoctoral Researcher", "PhD Candidate",
     "Engineer", "Senior Engineer", "Physician", "Consultant", "Director", "Founder",
     "Data Scientist", "Pharmacist", "Project Manager");
LIST(seed_vn_unis, "Nha Trang University", "Khanh Hoa University",
     "Vietnam National University, Hanoi", "Vietnam National University Ho Chi Minh City",
     "Hanoi University of Science and Technology", "Hue University", "Can Tho University",
     "University of Medicine and Pharmacy at Ho Chi Minh City", "Hanoi Medical University",
     "Ton Duc Thang University", "University of Danang", "Vietnam Maritime University");

static const seed_place vn_places[] = {{"Nha Trang", "Asia/Ho_Chi_Minh"},
                                       {"Cam Ranh", "Asia/Ho_Chi_Minh"},
                                       {"Ninh Hòa", "Asia/Ho_Chi_Minh"},
                                       {"Hà Nội", "Asia/Ho_Chi_Minh"},
                                       {"Thành phố Hồ Chí Minh", "Asia/Ho_Chi_Minh"},
                                       {"Đà Nẵng", "Asia/Ho_Chi_Minh"}};
static const char *const vn_unis[] = {"Nha Trang University",
                                      "Khanh Hoa University",
                                      "Institute of Oceanography, Nha Trang",
                                      "Pasteur Institute in Nha Trang",
                                      "Vietnam National University Ho Chi Minh City",
                                      "Vietnam National University, Hanoi",
                                      "Vietnam Academy of Science and Technology",
                                      "Research Institute for Aquaculture No. 3"};
static const seed_place us_places[] = {{"San Jose", "America/Los_Angeles"},
                                       {"Houston", "America/Chicago"},
                                       {"Boston", "America/New_York"},
                                       {"Seattle", "America/Los_Angeles"},
                                       {"Orange County", "America/Los_Angeles"}};
static const char *const us_unis[] = {"Stanford University",
                                      "University of California, Berkeley",
                                      "University of Washington",
                                      "Massachusetts Institute of Technology",
                                      "University of Texas at Austin",
                                      "Woods Hole Oceanographic Institution",
                                      "University of California, San Diego"};
static const seed_place jp_places[] = {{"Tokyo", "Asia/Tokyo"},
                                       {"Kyoto", "Asia/Tokyo"},
                                       {"Sendai", "Asia/Tokyo"},
                                       {"Osaka", "Asia/Tokyo"}};
static const char *const jp_unis[] = {"University of Tokyo", "Kyoto University",
                                      "Tohoku University", "Osaka University",
                                      "Tokyo University of Marine Science and Technology"};
static const seed_place kr_places[] = {
    {"Seoul", "Asia/Seoul"}, {"Busan", "Asia/Seoul"}, {"Daejeon", "Asia/Seoul"}};
static const char *const kr_unis[] = {"Seoul National University", "KAIST",
                                      "Pukyong National University", "Korea University"};
static const seed_place au_places[] = {{"Melbourne", "Australia/Melbourne"},
                                       {"Sydney", "Australia/Sydney"},
                                       {"Brisbane", "Australia/Brisbane"},
                                       {"Townsville", "Australia/Brisbane"},
                                       {"Hobart", "Australia/Hobart"}};
static const char *const au_unis[] = {
    "University of Queensland", "James Cook University", "University of Tasmania",
    "University of Melbourne",  "UNSW Sydney",           "CSIRO"};
static const seed_place fr_places[] = {{"Paris", "Europe/Paris"},
                                       {"Brest", "Europe/Paris"},
                                       {"Lyon", "Europe/Paris"},
                                       {"Montpellier", "Europe/Paris"}};
static const char *const fr_unis[] = {"Sorbonne Université", "Université Paris-Saclay",
                                      "Université de Bretagne Occidentale", "Ifremer",
                                      "Institut Pasteur"};
static const seed_place de_places[] = {{"Berlin", "Europe/Berlin"},
                                       {"Munich", "Europe/Berlin"},
                                       {"Bremen", "Europe/Berlin"},
                                       {"Kiel", "Europe/Berlin"}};
static const char *const de_unis[] = {"Technical University of Munich", "University of Bremen",
                                      "Kiel University", "RWTH Aachen University",
                                      "Charité – Universitätsmedizin Berlin"};
static const seed_place gb_places[] = {
    {"London", "Europe/London"}, {"Southampton", "Europe/London"}, {"Cambridge", "Europe/London"}};
static const char *const gb_unis[] = {"University of Southampton", "University of Cambridge",
                                      "Imperial College London", "University of Stirling"};
static const seed_place ca_places[] = {{"Toronto", "America/Toronto"},
                                       {"Vancouver", "America/Vancouver"},
                                       {"Montréal", "America/Toronto"},
                                       {"Halifax", "America/Halifax"}};
static const char *const ca_unis[] = {"University of Toronto", "University of British Columbia",
                                      "McGill University", "Dalhousie University"};
static const seed_place sg_places[] = {{"Singapore", "Asia/Singapore"}};
static const char *const sg_unis[] = {"National University of Singapore",
                                      "Nanyang Technological University"};
static const seed_place nl_places[] = {{"Wageningen", "Europe/Amsterdam"},
                                       {"Delft", "Europe/Amsterdam"}};
static const char *const nl_unis[] = {"Wageningen University & Research",
                                      "Delft University of Technology"};
static const seed_place no_places[] = {{"Trondheim", "Europe/Oslo"}, {"Bergen", "Europe/Oslo"}};
static const char *const no_unis[] = {"Norwegian University of Science and Technology",
                                      "University of Bergen"};
static const seed_place tw_places[] = {{"Taipei", "Asia/Taipei"}, {"Keelung", "Asia/Taipei"}};
static const char *const tw_unis[] = {"National Taiwan University",
                                      "National Taiwan Ocean University"};

#define C(code, w, lang, pre)                                                                      \
    {                                                                                              \
        code, w, lang, pre##_places, N(pre##_places), pre##_unis, N(pre##_unis)                    \
    }
const seed_country seed_countries[] = {
    C("VN", 40, NULL, vn),    C("US", 15, NULL, us), C("JP", 6, "ja", jp), C("KR", 5, "ko", kr),
    C("AU", 7, NULL, au),     C("FR", 6, "fr", fr),  C("DE", 5, "de", de), C("GB", 4, NULL, gb),
    C("CA", 5, "fr", ca),     C("SG", 3, NULL, sg),  C("NL", 2, "nl", nl), C("NO", 1, "nb", no),
    C("TW", 1, "zh-Hant", tw)};
const size_t seed_countries_n = N(seed_countries);
#undef C

#define S(slug, f, k)                                                                              \
    {                                                                                              \
        slug, f, N(f), k, N(k)                                                                     \
    }
static const char *const f_marine[] = {"Marine Economics", "Maritime Policy",
                                       "Fisheries Economics"};
static const char *const k_marine[] = {"kinh tế biển", "blue economy", "fisheries management",
                                       "marine spatial planning", "coastal development"};
static const char *const f_aqua[] = {"Aquaculture", "Fisheries Science", "Aquatic Animal Health"};
static const char *const k_aqua[] = {
    "nuôi tôm hùm",   "lobster aquaculture", "shrimp farming",        "nuôi trồng thủy sản",
    "fish nutrition", "seaweed farming",     "aquatic animal disease"};
static const char *const f_ocean[] = {"Oceanography", "Marine Biology", "Ocean Engineering"};
static const char *const k_ocean[] = {"marine biology", "coral reef ecology",  "oceanography",
                                      "hải dương học",  "underwater robotics", "remote sensing"};
static const char *const f_hitech[] = {"Materials Science", "Electronics Engineering",
                                       "Mechanical Engineering"};
static const char *const k_hitech[] = {"semiconductors", "advanced materials", "automation",
                                       "công nghệ cao", "precision manufacturing"};
static const char *const f_it[] = {"Computer Science", "Artificial Intelligence",
                                   "Software Engineering", "Data Science"};
static const char *const k_it[] = {
    "machine learning", "trí tuệ nhân tạo",    "computer vision", "natural language processing",
    "cybersecurity",    "distributed systems", "vietnamese nlp"};
static const char *const f_health[] = {"Medicine", "Public Health", "Biomedical Engineering"};
static const char *const k_health[] = {"public health",       "y tế cộng đồng", "medical imaging",
                                       "infectious diseases", "cardiology",     "telemedicine"};
static const char *const f_pharma[] = {"Pharmacy", "Pharmacology", "Medicinal Chemistry"};
static const char *const k_pharma[] = {"drug discovery", "dược liệu", "clinical trials",
                                       "marine natural products", "pharmacokinetics"};
static const char *const f_tour[] = {"Tourism Management", "Hospitality Management"};
static const char *const k_tour[] = {"sustainable tourism", "du lịch biển", "ecotourism",
                                     "hospitality management", "destination marketing"};
static const char *const f_energy[] = {"Energy Engineering", "Electrical Engineering"};
static const char *const k_energy[] = {"offshore wind",  "điện gió ngoài khơi", "solar energy",
                                       "energy storage", "smart grids",         "green hydrogen"};
static const char *const f_logi[] = {"Logistics", "Maritime Transport", "Supply Chain Management"};
static const char *const k_logi[] = {"port logistics", "cảng biển", "supply chain",
                                     "container shipping", "maritime transport"};
static const char *const f_edu[] = {"Education", "Educational Technology"};
static const char *const k_edu[] = {"stem education", "giáo dục đại học", "e-learning",
                                    "curriculum design", "teacher training"};
static const char *const f_env[] = {"Environmental Science", "Climate Science", "Hydrology"};
static const char *const k_env[] = {"climate adaptation",   "biến đổi khí hậu",
                                    "coastal erosion",      "water quality",
                                    "mangrove restoration", "marine pollution"};
static const char *const f_agri[] = {"Agronomy", "Agricultural Economics", "Food Technology"};
static const char *const k_agri[] = {"food security", "nông nghiệp công nghệ cao", "agritech",
                                     "post-harvest technology", "salt-tolerant crops"};
static const char *const f_fin[] = {"Finance", "Economics", "Accounting"};
static const char *const k_fin[] = {"fintech", "tài chính xanh", "green finance",
                                    "investment promotion", "public finance"};
const seed_sector seed_sectors[] = {S("marine_economy", f_marine, k_marine),
                                    S("aquaculture", f_aqua, k_aqua),
                                    S("ocean_technology", f_ocean, k_ocean),
                                    S("high_tech_industry", f_hitech, k_hitech),
                                    S("it_ai", f_it, k_it),
                                    S("healthcare", f_health, k_health),
                                    S("pharmacy", f_pharma, k_pharma),
                                    S("tourism", f_tour, k_tour),
                                    S("renewable_energy", f_energy, k_energy),
                                    S("logistics_seaports", f_logi, k_logi),
                                    S("education", f_edu, k_edu),
                                    S("environment_climate", f_env, k_env),
                                    S("agriculture", f_agri, k_agri),
                                    S("finance", f_fin, k_fin)};
const size_t seed_sectors_n = N(seed_sectors);
#undef S
