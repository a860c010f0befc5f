//! The quote-free CSV text split by `TextChunks::split` gives the pieces the csv crate's
//! reader gives for the same text: the same chunks of rows, malformed rows, blank lines
//! skipped, and the same errors with the same messages (positions included) when the text
//! turns out not to be clean and the csv crate reads on.

use std::io::Read as _;

use proptest::prelude::*;

use super::{Piece, Recorder, TEST_SPLIT_BLOCK, TextChunks, csv_reader};

/// A piece as compared: a chunk's first row and its columns' texts, a malformed row, or an
/// error's message.
#[derive(Debug, PartialEq)]
enum Seen {
    Chunk(u64, Vec<Vec<String>>),
    Malformed(u64, String),
    Error(String),
}

/// Three fields a row: the customer in the first, the time in the third, the amount in the
/// second.
fn chunks(chunk_rows: usize) -> TextChunks {
    let mut roles = [None; 11];
    roles[0] = Some(0);
    roles[2] = Some(2);
    roles[3] = Some(1);
    TextChunks {
        roles,
        values: Default::default(),
        offsets: std::array::from_fn(|_| vec![0]),
        rows: 0,
        first_row: 1,
        width: 3,
        chunk_rows,
        ends: Vec::new(),
    }
}

fn seen(p: Piece) -> Seen {
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray as _;
    match p {
        Piece::Chunk(c) => Seen::Chunk(
            c.first,
            c.arrays
                .iter()
                .flatten()
                .map(|a| {
                    let s = a.as_string::<i32>();
                    (0..s.len()).map(|i| s.value(i).to_owned()).collect()
                })
                .collect(),
        ),
        Piece::Malformed(row, text) => Seen::Malformed(row, text),
        Piece::Error(e) => Seen::Error(e.to_string()),
    }
}

/// The pieces of `text` (its first record a header when `header`), read as the ingestion
/// reads them: by the split where it can (`split`), else by the csv crate alone.
fn pieces(text: &[u8], header: bool, split: bool, chunk_rows: usize) -> Vec<Seen> {
    let mut rdr = csv_reader(
        b',',
        Recorder {
            inner: text,
            seen: Vec::new(),
            recording: true,
        },
    );
    let mut rec = ::csv::StringRecord::new();
    let mut out = Vec::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => return out,
        Err(e) => {
            out.push(Seen::Error(e.to_string()));
            return out;
        }
    }
    let first = (!header).then_some(&rec);
    let mut c = chunks(chunk_rows);
    let mut emit = |p: Piece| {
        out.push(seen(p));
        true
    };
    if split {
        let pos = rdr.position().clone();
        let Recorder { inner, seen, .. } = rdr.into_inner();
        let mut again = std::io::Cursor::new(seen);
        again.set_position(pos.byte());
        c.produce(again.chain(inner), first, pos, b',', &mut emit);
    } else {
        let mut row_no = 0;
        if let Some(f) = first {
            row_no = 1;
            c.record(f, 1, b',', &mut emit);
        }
        c.produce_csv(&mut rdr, row_no, b',', &mut emit);
    }
    out
}

fn same_pieces(text: &[u8], header: bool, block: usize, chunk_rows: usize) {
    let before = TEST_SPLIT_BLOCK.with(|b| b.replace(block));
    let got = pieces(text, header, true, chunk_rows);
    TEST_SPLIT_BLOCK.with(|b| b.set(before));
    let want = pieces(text, header, false, chunk_rows);
    assert_eq!(
        got,
        want,
        "{:?}, header {header}, blocks of {block}, chunks of {chunk_rows}",
        String::from_utf8_lossy(text)
    );
}

#[test]
fn plain_text_splits_as_the_csv_crate_reads_it() {
    let texts: [&[u8]; 12] = [
        b"c,a,t\n1,2.50,2024-01-01\n2,3,2024-01-02\n",
        b"c,a,t\r\n1,2.50,2024-01-01\r\n\r\n2,3,2024-01-02",
        b"\xef\xbb\xbfc,a,t\n1,2,x\n\n\n3,4,y\n5,6\n7,8,9,10\n,,\n",
        b"c,a,t\n1,2,x\n\xef\xbb\xbf1,2,y\n",
        b"c,a,t\n1,2,x\n3,\"4,5\",y\n6,7,z\n",
        b"c,a,t\n1,2,x\n3,4,\xff\n6,7,z\n",
        b"c,a,t\n1,2,x\r3,4,y\n",
        b"c,a,t\n1,2,x\n3,4,y\r",
        b"c,a,t",
        b"c,a,t\n",
        b"c,a,t\n\xef\xbb\xbf\"q\",2,x\n",
        "c,a,t\n顧客,¥1,日\n".as_bytes(),
    ];
    for text in texts {
        for header in [true, false] {
            for block in [1, 3, 8, 1 << 20] {
                for chunk_rows in [1, 2, 100] {
                    same_pieces(text, header, block, chunk_rows);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_text_splits_as_the_csv_crate_reads_it(
        lines in prop::collection::vec(
            (
                prop::collection::vec(
                    prop::sample::select(vec![
                        "a", "12", "2.5", "", " ", "é", "顧客", "\u{feff}", "\"q\"", "\"a,b\"",
                        "x\"y", "\r", "\"\n\"", "\u{ff}",
                    ]),
                    0..5,
                ),
                prop::sample::select(vec!["\n", "\n", "\n", "\r\n", "\r", ""]),
                prop::bool::weighted(0.05),
            ),
            0..30,
        ),
        header in any::<bool>(),
        block in prop::sample::select(vec![1usize, 2, 5, 16, 64, 1 << 20]),
        chunk_rows in prop::sample::select(vec![1usize, 3, 100]),
        quote_free in prop::bool::weighted(0.7),
    ) {
        let mut text: Vec<u8> = Vec::new();
        for (fields, end, bad_byte) in &lines {
            let line = fields
                .iter()
                .filter(|f| !quote_free || !f.contains(['"', '\r']))
                .copied()
                .collect::<Vec<_>>()
                .join(",");
            text.extend_from_slice(line.as_bytes());
            if *bad_byte {
                text.push(0xff);
            }
            text.extend_from_slice(end.as_bytes());
        }
        same_pieces(&text, header, block, chunk_rows);
    }
}
