import { describeAdapterConformance } from '@aurum/ratelimit-testkit';
import express from 'express';
import express4 from 'express4';
import { startExpressApp } from './app.js';

describeAdapterConformance({ name: 'Express 5', start: (options) => startExpressApp(express, options) });
describeAdapterConformance({ name: 'Express 4', start: (options) => startExpressApp(express4 as unknown as typeof express, options) });
