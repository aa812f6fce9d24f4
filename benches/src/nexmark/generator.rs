//! Nexmark events from the `nexmark` crate (a port of the standard Java/Flink generator),
//! configured like the standard: capitalised names, cities and state codes, the default
//! 10,000 events per second of event time, and a fixed base time so runs are repeatable.
//!
//! Events are a pure function of their id: the generator seeds every event from its id, so
//! any range can be generated on any thread and the result is the same.

use nexmark::config::NexmarkConfig;
use nexmark::event::Event;
use nexmark::EventGenerator;

use crate::nexmark::model::{Auction, Bid, Events, Person};

/// The event time of the first event: 2023-01-01T00:00:00Z, in milliseconds.
pub const BASE_TIME: u64 = 1_672_531_200_000;

/// The generator's configuration: the crate's defaults with the standard's spelling.
pub fn config() -> NexmarkConfig {
    let words = |text: &str| text.split(',').map(str::to_owned).collect::<Vec<_>>();
    NexmarkConfig {
        base_time: BASE_TIME,
        us_states: words("AZ,CA,ID,OR,WA,WY"),
        us_cities: words(
            "Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne",
        ),
        first_names: words("Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter"),
        last_names: words("Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris"),
        ..NexmarkConfig::default()
    }
}

/// The events with ids `start..end`, split by kind.
pub fn generate_range(start: u64, end: u64) -> Events {
    let mut events = Events::default();
    let generator = EventGenerator::new(config()).with_offset(start);
    for event in generator.take((end - start) as usize) {
        match event {
            Event::Person(p) => events.persons.push(Person {
                id: p.id as u64,
                name: p.name,
                email_address: p.email_address,
                credit_card: p.credit_card,
                city: p.city,
                state: p.state,
                date_time: p.date_time,
                extra: p.extra,
            }),
            Event::Auction(a) => events.auctions.push(Auction {
                id: a.id as u64,
                item_name: a.item_name,
                description: a.description,
                initial_bid: a.initial_bid as u64,
                reserve: a.reserve as u64,
                date_time: a.date_time,
                expires: a.expires,
                seller: a.seller as u64,
                category: a.category as u64,
                extra: a.extra,
            }),
            Event::Bid(b) => events.bids.push(Bid {
                auction: b.auction as u64,
                bidder: b.bidder as u64,
                price: b.price as u64,
                channel: b.channel,
                url: b.url,
                date_time: b.date_time,
                extra: b.extra,
            }),
        }
    }
    events
}

/// The first `count` events, generated on `threads` threads.
pub fn generate(count: u64, threads: usize) -> Events {
    let threads = threads.max(1) as u64;
    let chunk = count.div_ceil(threads).max(1);
    let parts: Vec<Events> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = (t * chunk).min(count);
                let end = ((t + 1) * chunk).min(count);
                scope.spawn(move || generate_range(start, end))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator thread panicked"))
            .collect()
    });
    let mut events = Events::default();
    for part in parts {
        events.append(part);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_times_and_spelling_follow_the_standard() {
        let events = generate(5_000, 2);
        assert_eq!(events.persons.len(), 100);
        assert_eq!(events.auctions.len(), 300);
        assert_eq!(events.bids.len(), 4_600);
        assert_eq!(events.persons[0].id, 1000);
        assert_eq!(events.auctions[0].id, 1000);
        assert_eq!(events.persons[0].date_time, BASE_TIME);
        // 10,000 events per second of event time: event 4,999 is at 499.9 ms.
        let last = events.bids.last().unwrap().date_time;
        assert_eq!(last, BASE_TIME + 500);
        assert!(events
            .persons
            .iter()
            .all(|p| ["AZ", "CA", "ID", "OR", "WA", "WY"].contains(&p.state.as_str())));
        assert!(events
            .auctions
            .iter()
            .all(|a| (10..15).contains(&a.category)));
        assert!(events.auctions.iter().all(|a| a.expires > a.date_time));
    }

    #[test]
    fn any_split_of_the_ids_gives_the_same_events() {
        assert_eq!(generate(2_000, 1), generate(2_000, 3));
    }
}
