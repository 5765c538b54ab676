//! divan benchmarks for the map search box's gazetteer: 50,000 synthetic Chinese place names
//! (seeded, drawn from common place-name characters, so pinyin and heteronyms look real), the build,
//! and one search each by initials, Chinese text and partial pinyin.
//! `cargo bench -p pingan-geo --bench gazetteer`.

use divan::{Bencher, black_box};
use pingan_geo::gazetteer::{Entry, EntryKind, Gazetteer};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    divan::main();
}

const ENTRIES: usize = 50_000;

/// Characters common in village, road and shop names (several polyphonic: 长 重 行 家 和 大 区 号).
const STEMS: &str = "枫桥东西南北中新华安平和兴长重行大小上下山水河湖塘溪石岭坑头家陈王李张赵周吴徐孙朱\
                     马胡郭林何高罗宋谢唐韩冯董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪\
                     田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段章钱汤尹黎易常武乔贺赖\
                     龚文民建国光明德福庆丰泰康宁春秋阳云花园林竹梅松柏桃李杨柳金银铜铁";
const SUFFIXES: [(&str, EntryKind); 12] = [
    ("镇", EntryKind::Township),
    ("街道", EntryKind::Township),
    ("村", EntryKind::Village),
    ("社区", EntryKind::Village),
    ("网格", EntryKind::Grid),
    ("小学", EntryKind::Place),
    ("超市", EntryKind::Place),
    ("加油站", EntryKind::Place),
    ("路口", EntryKind::Camera),
    ("路", EntryKind::IncidentAddress),
    ("号楼", EntryKind::IncidentAddress),
    ("弄", EntryKind::IncidentAddress),
];

fn entries() -> Vec<Entry> {
    let stems: Vec<char> = STEMS.chars().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..ENTRIES)
        .map(|i| {
            let len = rng.gen_range(2..=4);
            let mut name: String = (0..len).map(|_| *stems.choose(&mut rng).unwrap()).collect();
            if rng.gen_bool(0.2) {
                name.push_str(&rng.gen_range(1..200).to_string());
            }
            let (suffix, kind) = SUFFIXES[rng.gen_range(0..SUFFIXES.len())];
            name.push_str(suffix);
            Entry {
                id: format!("e{i}"),
                name,
                kind,
                lng: 120.0 + rng.r#gen::<f64>() * 0.5,
                lat: 29.5 + rng.r#gen::<f64>() * 0.5,
                detail: None,
            }
        })
        .collect()
}

#[divan::bench(sample_count = 5)]
fn build(bencher: Bencher) {
    let entries = entries();
    bencher
        .with_inputs(|| entries.clone())
        .bench_local_values(Gazetteer::new);
}

#[divan::bench(args = ["fqz", "枫桥", "fengq", "z"], sample_count = 50)]
fn search(bencher: Bencher, query: &str) {
    let gazetteer = Gazetteer::new(entries());
    bencher.bench_local(|| gazetteer.search(black_box(query), 10).len());
}
