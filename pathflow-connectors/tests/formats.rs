//! The formats on their own: decoding in chunks of any size, column matching, positions,
//! every kind of bad record, and encoding.

mod files;

use files::{Reading, Word};
use pathflow::prelude::*;
use pathflow_connectors::format::{Decoder, Encoder};
use pathflow_connectors::{CsvOptions, Format};

/// What a decoder made of one record: the row or the reason, the offset, the line, the raw
/// text.
type Outcome<T> = (Result<T, String>, u64, u64, String);

fn decode_in_chunks<T: Schema>(format: &Format, input: &[u8], chunk: usize) -> Vec<Outcome<T>> {
    let mut decoder = Decoder::<T>::new(format);
    let mut out = Vec::new();
    let mut emit = |d: pathflow_connectors::format::Decoded<'_, T>| -> Result<(), ()> {
        out.push((
            d.row,
            d.offset,
            d.line,
            String::from_utf8_lossy(d.raw).into_owned(),
        ));
        Ok(())
    };
    for piece in input.chunks(chunk.max(1)) {
        decoder.feed(piece, false, &mut emit).unwrap();
    }
    decoder.feed(&[], true, &mut emit).unwrap();
    out
}

/// Decodes `input` whole, then in every chunk size up to 17 bytes, and checks that the
/// chunking changes nothing.
fn decode<T: Schema>(format: &Format, input: &str) -> Vec<Outcome<T>> {
    let whole = decode_in_chunks::<T>(format, input.as_bytes(), input.len());
    for chunk in 1..=17 {
        let pieces = decode_in_chunks::<T>(format, input.as_bytes(), chunk);
        assert_eq!(
            format!("{pieces:?}"),
            format!("{whole:?}"),
            "chunks of {chunk} bytes"
        );
    }
    whole
}

fn rows<T>(outcomes: Vec<Outcome<T>>) -> Vec<T> {
    outcomes
        .into_iter()
        .map(|(row, _, line, raw)| row.unwrap_or_else(|e| panic!("line {line} `{raw}`: {e}")))
        .collect()
}

fn words(list: &[&str]) -> Vec<Word> {
    list.iter()
        .map(|w| Word {
            word: (*w).to_owned(),
        })
        .collect()
}

#[test]
fn csv_matches_columns_by_header_name_in_any_order() {
    let input = "unit,flags,extra,value,sensor\nC,3,x,1.5,a\n,,y,-2,b\n";
    let got = rows(decode::<Reading>(&Format::csv(), input));
    assert_eq!(
        format!("{got:?}"),
        format!(
            "{:?}",
            vec![
                Reading {
                    sensor: "a".into(),
                    value: 1.5,
                    unit: Some("C".into()),
                    flags: 3
                },
                Reading {
                    sensor: "b".into(),
                    value: -2.0,
                    unit: None,
                    flags: 0
                },
            ]
        )
    );
}

#[test]
fn csv_allows_optional_and_default_columns_to_be_absent() {
    let got = rows(decode::<Reading>(&Format::csv(), "value,sensor\n7,z\n"));
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].unit.clone(), got[0].flags), (None, 0));
}

#[test]
fn csv_without_header_reads_columns_by_position() {
    let format = Format::Csv(CsvOptions::default().header(false));
    let got = rows(decode::<Reading>(&format, "a,1,C,2\nb,2,,\n"));
    assert_eq!(got[0].sensor, "a");
    assert_eq!(got[0].unit.as_deref(), Some("C"));
    assert_eq!(got[1].unit, None);
    assert_eq!(got[1].flags, 0);
}

#[test]
fn csv_options_delimiter_quote_comment() {
    let format = Format::Csv(
        CsvOptions::default()
            .delimiter(b';')
            .quote(Some(b'\''))
            .comment(Some(b'#')),
    );
    let input = "# a comment\nword\n'a;b'\n# another\n'it''s'\n\"q\"\n";
    assert_eq!(
        rows(decode::<Word>(&format, input)),
        words(&["a;b", "it's", "\"q\""])
    );
}

#[test]
fn csv_reads_quoted_line_breaks_crlf_and_a_last_line_without_newline() {
    let input = "word\r\n\"two\r\nlines\"\r\n\"a,b\"\r\nlast";
    assert_eq!(
        rows(decode::<Word>(&Format::csv(), input)),
        words(&["two\r\nlines", "a,b", "last"])
    );
}

#[test]
fn csv_positions_skip_blank_and_comment_lines() {
    let format = Format::Csv(CsvOptions::default().comment(Some(b'#')));
    let input = "word\r\nok\r\n\r\n# note\r\nbad,extra\r\n";
    let got = decode::<Word>(&format, input);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].1, got[0].2), (6, 2));
    let (row, offset, line, raw) = &got[1];
    assert_eq!(
        row.as_ref().unwrap_err(),
        "expected 1 fields (as in the header), found 2"
    );
    assert_eq!((*offset, *line, raw.as_str()), (20, 5, "bad,extra"));
    assert_eq!(&input[*offset as usize..][..9], "bad,extra");
}

#[test]
fn csv_reports_every_kind_of_bad_record() {
    let input = b"sensor,value,unit\n\
        ok,1,C\n\
        short,2\n\
        nan,abc,C\n\
        bytes,3,\xff\xfe\n\
        ok2,4,\n";
    let got = decode::<Reading>(&Format::csv(), std::str::from_utf8(&input[..0]).unwrap());
    assert!(got.is_empty());
    let got = decode_in_chunks::<Reading>(&Format::csv(), input, 5);
    let summary: Vec<(u64, Result<String, String>)> = got
        .iter()
        .map(|(row, _, line, _)| {
            (
                *line,
                row.as_ref().map(|r| r.sensor.clone()).map_err(Clone::clone),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (2, Ok("ok".to_owned())),
            (
                3,
                Err("expected 3 fields (as in the header), found 2".to_owned())
            ),
            (4, Err("column `value`: `abc` is not a number".to_owned())),
            (
                5,
                Err("field 3 (column `unit`) is not valid UTF-8".to_owned())
            ),
            (6, Ok("ok2".to_owned())),
        ]
    );
}

#[test]
fn csv_names_a_required_column_the_header_lacks() {
    let got = decode::<Reading>(&Format::csv(), "sensor,unit\na,C\n");
    assert_eq!(
        got[0].0.as_ref().unwrap_err(),
        "column `value`: missing value for a required column (the header has no column `value`)"
    );
}

#[test]
fn csv_reports_a_bad_time() {
    let got = decode::<files::Order>(
        &Format::csv(),
        "id,customer,amount,at\n1,ann,2.5,2024-01-01T00:00:00Z\n2,bob,1,yesterday\n",
    );
    assert!(got[0].0.is_ok());
    let reason = got[1].0.as_ref().unwrap_err();
    assert!(reason.starts_with("column `at`: "), "{reason}");
    assert!(reason.contains("yesterday"), "{reason}");
}

#[test]
fn json_lines_match_keys_skip_blank_lines_and_report_bad_ones() {
    let input = concat!(
        "{\"sensor\":\"a\",\"value\":1.5,\"unit\":\"C\",\"flags\":2}\n",
        "\n",
        "  {\"value\":2,\"sensor\":\"b\"}  \r\n",
        "{\"sensor\":\"c\"}\n",
        "not json\n",
        "[1,2]\n",
        "{\"sensor\":\"d\",\"value\":\"x\"}",
    );
    let got = decode::<Reading>(&Format::JsonLines, input);
    let summary: Vec<(u64, Result<String, String>)> = got
        .iter()
        .map(|(row, _, line, _)| {
            (
                *line,
                row.as_ref().map(|r| r.sensor.clone()).map_err(Clone::clone),
            )
        })
        .collect();
    assert_eq!(summary[0], (1, Ok("a".to_owned())));
    assert_eq!(summary[1], (3, Ok("b".to_owned())));
    assert_eq!(
        summary[2],
        (
            4,
            Err("column `value`: missing value for a required column".to_owned())
        )
    );
    assert_eq!(summary[3].0, 5);
    assert!(summary[3]
        .1
        .as_ref()
        .unwrap_err()
        .starts_with("not valid JSON"));
    assert_eq!(summary[4].0, 6);
    assert!(summary[4]
        .1
        .as_ref()
        .unwrap_err()
        .contains("expected a JSON object"));
    assert_eq!(summary[5].0, 7);
    assert!(summary[5]
        .1
        .as_ref()
        .unwrap_err()
        .starts_with("column `value`"));
    assert_eq!(got.len(), 6);
    assert_eq!(got[1].3, "  {\"value\":2,\"sensor\":\"b\"}  ");
}

#[test]
fn text_makes_every_line_a_row_and_rejects_invalid_utf8() {
    let input = b"alpha\r\n\nbeta gamma\n\xffbad\nlast";
    let got = decode_in_chunks::<Word>(&Format::Text, input, 3);
    let summary: Vec<(u64, Result<String, String>)> = got
        .iter()
        .map(|(row, _, line, _)| {
            (
                *line,
                row.as_ref().map(|r| r.word.clone()).map_err(Clone::clone),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, Ok("alpha".to_owned())),
            (2, Ok(String::new())),
            (3, Ok("beta gamma".to_owned())),
            (4, Err("the line is not valid UTF-8".to_owned())),
            (5, Ok("last".to_owned())),
        ]
    );
}

#[test]
fn a_partial_last_record_waits_without_eof() {
    for format in [Format::csv(), Format::JsonLines, Format::Text] {
        let mut decoder = Decoder::<Word>::new(&format);
        let mut feed = |bytes: &[u8]| {
            let mut seen = Vec::new();
            let mut emit = |d: pathflow_connectors::format::Decoded<'_, Word>| -> Result<(), ()> {
                seen.push(d.row.unwrap().word);
                Ok(())
            };
            decoder.feed(bytes, false, &mut emit).unwrap();
            seen
        };
        let input: &[u8] = match format {
            Format::JsonLines => b"{\"word\":\"a\"}\n{\"word\":\"b\"}",
            Format::Text => b"a\nb",
            _ => b"word\na\nb",
        };
        assert_eq!(feed(input), vec!["a"], "{format:?}");
        assert_eq!(feed(b"\n"), vec!["b"], "{format:?}");
    }
}

#[test]
fn encoders_write_columns_extras_and_shortest_floats() {
    let rows = [
        Reading {
            sensor: "a,\"b\"".into(),
            value: 0.1 + 0.2,
            unit: None,
            flags: 1,
        },
        Reading {
            sensor: "c".into(),
            value: 1e21,
            unit: Some("K".into()),
            flags: 0,
        },
    ];
    let encode = |format: &Format| {
        let mut encoder = Encoder::new(format, Vec::new());
        encoder.header::<Reading>(&["time", "diff"]).unwrap();
        for row in &rows {
            encoder.row(row, &[("time", 5), ("diff", -1)]).unwrap();
        }
        String::from_utf8(encoder.into_inner().unwrap()).unwrap()
    };
    assert_eq!(
        encode(&Format::csv()),
        "sensor,value,unit,flags,time,diff\n\
         \"a,\"\"b\"\"\",0.30000000000000004,,1,5,-1\n\
         c,1e21,K,0,5,-1\n"
    );
    let json = encode(&Format::JsonLines);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"sensor": "a,\"b\"", "value": 0.30000000000000004, "unit": null, "flags": 1, "time": 5, "diff": -1})
    );
    assert_eq!(
        encode(&Format::Text),
        "a,\"b\"\t0.30000000000000004\t\t1\t5\t-1\nc\t1e21\tK\t0\t5\t-1\n"
    );
}

#[test]
fn what_the_csv_encoder_writes_the_decoder_reads_back() {
    let rows = vec![
        Reading {
            sensor: "line\nbreak, comma \"quote\"".into(),
            value: f64::MIN_POSITIVE,
            unit: Some(String::new()),
            flags: u32::MAX,
        },
        Reading {
            sensor: "x".into(),
            value: -0.0,
            unit: None,
            flags: 0,
        },
    ];
    let mut encoder = Encoder::new(&Format::csv(), Vec::new());
    encoder.header::<Reading>(&[]).unwrap();
    for row in &rows {
        encoder.row(row, &[]).unwrap();
    }
    let text = String::from_utf8(encoder.into_inner().unwrap()).unwrap();
    let back = rows_of(decode::<Reading>(&Format::csv(), &text));
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].sensor, rows[0].sensor);
    assert_eq!(back[0].value.to_bits(), rows[0].value.to_bits());
    assert_eq!(back[0].flags, u32::MAX);
    // An empty optional cell reads back as `None`: CSV cannot tell it from an empty string.
    assert_eq!(back[0].unit, None);
    assert_eq!(back[1].value.to_bits(), (-0.0f64).to_bits());
}

fn rows_of<T>(outcomes: Vec<Outcome<T>>) -> Vec<T> {
    rows(outcomes)
}

#[test]
fn a_byte_order_mark_at_the_start_is_not_data() {
    let csv = "\u{feff}word\nsea\n";
    assert_eq!(rows(decode::<Word>(&Format::csv(), csv)), words(&["sea"]));
    let json = "\u{feff}{\"word\":\"sea\"}\n{\"word\":\"\u{feff}x\"}\n";
    assert_eq!(
        rows(decode::<Word>(&Format::JsonLines, json)),
        words(&["sea", "\u{feff}x"])
    );
    assert_eq!(
        rows(decode::<Word>(&Format::Text, "\u{feff}sea\n")),
        words(&["sea"])
    );
}

/// A writer on a full disk.
struct Full;

impl std::io::Write for Full {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_disk_reaches_the_caller_as_the_os_error() {
    for format in [Format::csv(), Format::JsonLines, Format::Text] {
        let mut encoder = Encoder::new(&format, Full);
        let row = Word {
            word: "x".repeat(100),
        };
        let error = (0..1000)
            .map(|_| encoder.row(&row, &[("diff", 1)]))
            .find_map(Result::err)
            .or_else(|| encoder.flush().err())
            .expect("writing to a full disk fails");
        assert_eq!(error.raw_os_error(), Some(28), "{format:?}: {error}");
    }
}
