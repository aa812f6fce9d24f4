//! `#[derive(Schema)]` with every attribute: columns, keys, event time, the codec, the
//! total order over floats, and serde between workers.

use pathflow::prelude::*;
use pathflow::schema::{self, ColumnType, TextRecord};
use pathflow::{memory, RunnerArgs};

#[derive(Schema, Clone, Debug)]
struct Address {
    city: String,
    #[pathflow(rename = "zip_code")]
    zip: Option<String>,
}

#[derive(Schema, Clone, Debug)]
struct Order {
    #[pathflow(primary_key)]
    id: u64,
    #[pathflow(primary_key)]
    line: u32,
    customer: String,
    amount: f64,
    #[pathflow(event_time)]
    at: Timestamp,
    #[pathflow(default)]
    tags: Vec<String>,
    #[pathflow(rename = "ship_to")]
    address: Address,
    note: Option<String>,
    wait: Duration,
    r#type: bool,
}

#[derive(Schema, Clone, Debug)]
struct Plain {
    value: f32,
}

struct Cells(Vec<(&'static str, &'static str)>);

impl TextRecord for Cells {
    fn cell(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

fn order(id: u64, amount: f64) -> Order {
    Order {
        id,
        line: 1,
        customer: "ada".to_owned(),
        amount,
        at: Timestamp::from_millis(1_000),
        tags: vec!["new".to_owned()],
        address: Address { city: "Paris".to_owned(), zip: None },
        note: Some("fragile".to_owned()),
        wait: Duration::from_millis(30),
        r#type: true,
    }
}

fn main() {
    let columns = Order::columns();
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id", "line", "customer", "amount", "at", "tags", "ship_to.city", "ship_to.zip_code",
            "note", "wait", "type"
        ]
    );
    assert_eq!(columns[3].ty, ColumnType::Float);
    assert!(columns[5].optional, "a `default` column may be missing");
    assert!(columns[7].optional && columns[8].optional, "`Option` columns may be missing");
    assert!(!columns[0].optional);

    assert!(Order::HAS_PRIMARY_KEY);
    assert!(!Plain::HAS_PRIMARY_KEY);
    assert_eq!(Order::EVENT_TIME_COLUMN, Some("at"));
    assert_eq!(Plain::EVENT_TIME_COLUMN, None);
    let first = order(7, 12.5);
    assert_eq!(first.primary_key(), (7, 1));
    assert_eq!(first.event_time(), Some(Timestamp::from_millis(1_000)));
    Plain { value: 1.0 }.primary_key();

    // The JSON codec: a nested struct is an object.
    let json = schema::encode_json(&first);
    assert_eq!(json["ship_to"]["city"], "Paris");
    assert_eq!(schema::decode_json::<Order>(&json).unwrap(), first);

    // The text codec: nested columns are `outer.inner`; a missing `default` column is its
    // default, a missing `Option` column is `None`, a missing required column is an error.
    let cells = Cells(vec![
        ("id", "8"),
        ("line", "2"),
        ("customer", "bob"),
        ("amount", "3.5"),
        ("at", "2000"),
        ("ship_to.city", "Oslo"),
        ("wait", "10"),
        ("type", "false"),
    ]);
    let decoded: Order = schema::decode_text(&cells).unwrap();
    assert_eq!(decoded.tags, Vec::<String>::new());
    assert_eq!(decoded.address.zip, None);
    assert_eq!(decoded.note, None);
    assert_eq!(schema::encode_text(&decoded).len(), columns.len());
    let error = schema::decode_text::<Order>(&Cells(vec![("id", "8")])).unwrap_err();
    assert_eq!(error.column, "line");

    // A total order: floats by IEEE 754 totalOrder, so NaN equals itself and sorts last.
    assert_eq!(Plain { value: f32::NAN }, Plain { value: f32::NAN });
    assert!(Plain { value: -0.0 } < Plain { value: 0.0 });
    assert!(order(1, 5.0) < order(1, 6.0) && order(1, 9.0) < order(2, 0.0));

    // Rows cross workers through serde.
    let (result, sink) = memory::snapshot::<Order>();
    let input = vec![order(1, 1.0), order(2, f64::NAN), order(3, -2.5)];
    let expected = input.clone();
    Runner::batch()
        .args(RunnerArgs { workers: 3, ..RunnerArgs::default() })
        .run(move |p| {
            let orders = p.read(memory::rows(input.clone()));
            p.write(orders.distinct(), sink.clone());
        })
        .unwrap();
    assert_eq!(result.rows(), expected);
}
