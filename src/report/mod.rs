//! The reports as documents: the HTML report (`once --html`, `analyze --html`, and the daemon's `GET /`,
//! kept live) and the JUnit XML of `once --junit`, both escaped alike (`markup`). The text report of one
//! cycle is the judge's, part of the verdict: [`crate::analyze::render`].

pub mod html;
pub mod junit;
mod markup;
