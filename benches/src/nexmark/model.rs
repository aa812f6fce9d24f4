//! The three Nexmark event kinds, as rows: integer and string fields only.
//!
//! Field names follow the standard (`dateTime`, `emailAddress`, …) when serialised, so CSV
//! dumps carry the names that NEXMARK.md and the SQL of the DuckDB check use.

use serde::{Deserialize, Serialize};

/// A person registering with the auction site.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// The person's id (from 1000).
    pub id: u64,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email_address: String,
    /// Credit card number.
    pub credit_card: String,
    /// City.
    pub city: String,
    /// US state code (`OR`, `ID`, `CA`, …).
    pub state: String,
    /// Registration time, in milliseconds since the Unix epoch.
    pub date_time: u64,
    /// Padding to the standard event size.
    pub extra: String,
}

/// An item put up for auction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auction {
    /// The auction's id (from 1000).
    pub id: u64,
    /// Item name.
    pub item_name: String,
    /// Item description.
    pub description: String,
    /// Opening price, in cents.
    pub initial_bid: u64,
    /// Reserve price, in cents.
    pub reserve: u64,
    /// Opening time, in milliseconds since the Unix epoch.
    pub date_time: u64,
    /// Closing time, in milliseconds since the Unix epoch.
    pub expires: u64,
    /// The seller's person id.
    pub seller: u64,
    /// Category, from 10.
    pub category: u64,
    /// Padding to the standard event size.
    pub extra: String,
}

/// A bid on an auction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bid {
    /// The auction's id.
    pub auction: u64,
    /// The bidder's person id.
    pub bidder: u64,
    /// Price, in cents.
    pub price: u64,
    /// Channel the bid came through.
    pub channel: String,
    /// URL of the bid.
    pub url: String,
    /// Bid time, in milliseconds since the Unix epoch.
    pub date_time: u64,
    /// Padding to the standard event size.
    pub extra: String,
}

/// Every event of a run, split by kind, each kind in event-id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Person events.
    pub persons: Vec<Person>,
    /// Auction events.
    pub auctions: Vec<Auction>,
    /// Bid events.
    pub bids: Vec<Bid>,
}

impl Events {
    /// The number of events of all kinds.
    pub fn len(&self) -> usize {
        self.persons.len() + self.auctions.len() + self.bids.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other`'s events after these.
    pub fn append(&mut self, mut other: Events) {
        self.persons.append(&mut other.persons);
        self.auctions.append(&mut other.auctions);
        self.bids.append(&mut other.bids);
    }

    /// Deals the events out to `workers` shares, round-robin per kind, so that every share
    /// covers the whole event-time range.
    pub fn split(self, workers: usize) -> Vec<Events> {
        if workers <= 1 {
            return vec![self];
        }
        let mut shares: Vec<Events> = (0..workers)
            .map(|_| Events {
                persons: Vec::with_capacity(self.persons.len() / workers + 1),
                auctions: Vec::with_capacity(self.auctions.len() / workers + 1),
                bids: Vec::with_capacity(self.bids.len() / workers + 1),
            })
            .collect();
        for (i, person) in self.persons.into_iter().enumerate() {
            shares[i % workers].persons.push(person);
        }
        for (i, auction) in self.auctions.into_iter().enumerate() {
            shares[i % workers].auctions.push(auction);
        }
        for (i, bid) in self.bids.into_iter().enumerate() {
            shares[i % workers].bids.push(bid);
        }
        shares
    }
}
