//! `Pushcast\Promise`: what `triggerAsync`, `triggerBatchAsync`, `sendToUserAsync` and
//! `terminateUserConnectionsAsync` return, in the shape of Guzzle's `PromiseInterface` that
//! pusher-http-php returns (`then`, `wait`, `getState`).
//!
//! An event promise settles on delivery: the core's tracked publish (the acknowledgement
//! machinery of `triggerConfirmed`) is the mechanism, and `wait` blocks until the server
//! acknowledged every channel or the event failed. Callbacks run when `wait` is called (as
//! Guzzle's run when its task queue runs, which its `wait` does).

// The PHP parameter names are Guzzle's camelCase ones (named arguments), and ext-php-rs takes
// them from the Rust names; the macro does not carry an attribute on the method to them.
#![allow(non_snake_case)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ce, ExecutorGlobals};
use pushcast_client::{Confirmed, PendingCall, Tracked};

use crate::errors::{exception_object, guard, internal_object};

/// Builds the fulfilled value from the acknowledgements, one per tracked event.
pub(crate) type Answer = Box<dyn Fn(&[Confirmed]) -> PhpResult<Zval>>;

enum State {
    /// Events queued, not yet known delivered.
    Waiting {
        tracked: Vec<Tracked>,
        timeout: Duration,
        answer: Answer,
    },
    /// An API call running on the I/O thread; its answer's body is decoded by `decode`.
    Call {
        call: PendingCall,
        decode: fn(&[u8]) -> PhpResult<Zval>,
    },
    /// `$parent->then($onFulfilled, $onRejected)`.
    Then {
        parent: Rc<RefCell<State>>,
        on_fulfilled: Option<Zval>,
        on_rejected: Option<Zval>,
    },
    Fulfilled(Zval),
    /// The reason: an exception object.
    Rejected(Zval),
    /// Being settled (a callback waiting on its own promise finds this).
    Settling,
}

/// A promise of a delivery or an API answer, like the Guzzle promises of pusher-http-php's
/// `*Async` methods: `then(?callable $onFulfilled, ?callable $onRejected)` chains,
/// `wait(bool $unwrap = true)` blocks until it settles and returns the value or throws the
/// typed exception (`Pushcast\PushcastException` and its subclasses).
#[php_class]
#[php(name = "Pushcast\\Promise")]
pub struct PhpPromise {
    state: Rc<RefCell<State>>,
}

impl PhpPromise {
    pub(crate) fn waiting(tracked: Vec<Tracked>, timeout: Duration, answer: Answer) -> Self {
        Self::with(State::Waiting {
            tracked,
            timeout,
            answer,
        })
    }

    pub(crate) fn call(call: PendingCall, decode: fn(&[u8]) -> PhpResult<Zval>) -> Self {
        Self::with(State::Call { call, decode })
    }

    pub(crate) fn rejected(reason: Zval) -> Self {
        Self::with(State::Rejected(reason))
    }

    fn with(state: State) -> Self {
        PhpPromise {
            state: Rc::new(RefCell::new(state)),
        }
    }
}

/// The exception a callback threw (it is pending in the engine after the call failed).
fn thrown() -> PhpResult<Zval> {
    match ExecutorGlobals::take_exception() {
        Some(mut object) => {
            let mut zval = Zval::new();
            zval.set_object(&mut object);
            Ok(zval)
        }
        None => internal_object("a promise callback failed without an exception"),
    }
}

fn run_callback(callback: &Zval, argument: &Zval) -> PhpResult<State> {
    match callback.try_call(vec![argument]) {
        Ok(value) => Ok(State::Fulfilled(value)),
        Err(_) => Ok(State::Rejected(thrown()?)),
    }
}

fn settle(cell: &Rc<RefCell<State>>) -> PhpResult<()> {
    let current = std::mem::replace(&mut *cell.borrow_mut(), State::Settling);
    let next = match current {
        State::Fulfilled(_) | State::Rejected(_) => current,
        State::Settling => {
            return Err(PhpException::from_message(
                "a promise cannot wait for itself".into(),
            ))
        }
        State::Waiting {
            mut tracked,
            timeout,
            answer,
        } => {
            let mut confirmed = Vec::with_capacity(tracked.len());
            let mut failure = None;
            for t in &mut tracked {
                match t.wait(timeout) {
                    Ok(c) => confirmed.push(c),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            match failure {
                Some(e) => State::Rejected(exception_object(&e)?),
                None => match answer(&confirmed) {
                    Ok(value) => State::Fulfilled(value),
                    Err(e) => {
                        *cell.borrow_mut() =
                            State::Rejected(internal_object("the answer could not be built")?);
                        return Err(e);
                    }
                },
            }
        }
        State::Call { mut call, decode } => match call.wait() {
            Ok(body) => match decode(&body) {
                Ok(value) => State::Fulfilled(value),
                Err(e) => {
                    *cell.borrow_mut() =
                        State::Rejected(internal_object("the answer could not be decoded")?);
                    return Err(e);
                }
            },
            Err(e) => State::Rejected(exception_object(&e)?),
        },
        State::Then {
            parent,
            on_fulfilled,
            on_rejected,
        } => {
            settle(&parent)?;
            let parent_state = parent.borrow();
            match (&*parent_state, on_fulfilled, on_rejected) {
                (State::Fulfilled(value), Some(callback), _) => run_callback(&callback, value)?,
                (State::Fulfilled(value), None, _) => State::Fulfilled(value.shallow_clone()),
                (State::Rejected(reason), _, Some(callback)) => run_callback(&callback, reason)?,
                (State::Rejected(reason), _, None) => State::Rejected(reason.shallow_clone()),
                _ => State::Rejected(internal_object("the parent promise did not settle")?),
            }
        }
    };
    *cell.borrow_mut() = next;
    Ok(())
}

fn callable(value: Option<&Zval>) -> PhpResult<Option<Zval>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(v.shallow_clone())),
        Some(_) => Err(crate::errors::invalid("then() takes callables or null")),
    }
}

#[php_impl]
impl PhpPromise {
    /// A new promise settled by `$onFulfilled($value)` or `$onRejected($reason)` (their return
    /// value fulfils it, an exception they throw rejects it); a missing callback passes the
    /// value or reason through.
    // Guzzle's parameter names (`$onFulfilled`, `$onRejected`), for named arguments.
    pub fn then(
        &self,
        onFulfilled: Option<&Zval>,
        onRejected: Option<&Zval>,
    ) -> PhpResult<PhpPromise> {
        guard(|| {
            Ok(Self::with(State::Then {
                parent: Rc::clone(&self.state),
                on_fulfilled: callable(onFulfilled)?,
                on_rejected: callable(onRejected)?,
            }))
        })
    }

    /// `then(null, $onRejected)`.
    pub fn otherwise(&self, onRejected: &Zval) -> PhpResult<PhpPromise> {
        guard(|| self.then(None, Some(onRejected)))
    }

    /// Waits until the promise settles (the event delivered or failed, up to the client's
    /// delivery timeout); returns the value, or throws the rejection when `$unwrap` (with
    /// `$unwrap` false it returns null either way, as Guzzle's).
    pub fn wait(&self, unwrap: Option<bool>) -> PhpResult<Zval> {
        guard(|| {
            settle(&self.state)?;
            if !unwrap.unwrap_or(true) {
                return Ok(Zval::new());
            }
            match &*self.state.borrow() {
                State::Fulfilled(value) => Ok(value.shallow_clone()),
                State::Rejected(reason) => {
                    Err(PhpException::new(String::new(), 0, ce::exception())
                        .with_object(reason.shallow_clone()))
                }
                _ => Err(PhpException::from_message(
                    "the promise did not settle".into(),
                )),
            }
        })
    }

    /// `pending`, `fulfilled` or `rejected` (Guzzle's state names), without waiting.
    pub fn get_state(&self) -> PhpResult<String> {
        guard(|| {
            let ready = match &*self.state.borrow() {
                State::Fulfilled(_) => return Ok("fulfilled".into()),
                State::Rejected(_) => return Ok("rejected".into()),
                State::Waiting { tracked, .. } => tracked.iter().all(Tracked::is_settled),
                State::Call { call, .. } => call.is_settled(),
                State::Then { .. } | State::Settling => false,
            };
            if ready {
                settle(&self.state)?;
                return self.get_state();
            }
            Ok("pending".into())
        })
    }
}
