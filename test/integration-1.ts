import { integrationGroup } from './integration-groups.js';

integrationGroup(0);
