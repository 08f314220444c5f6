// Direct calls to the REST API, for setting the scene (accounts, people) and for the recording
// fallback while the recording screens are not in the tree. Node's own fetch, JSON in and out.
import { BASE_URL } from './env.mjs';

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(token, base = BASE_URL) {
    this.token = token;
    this.base = base;
  }

  /** Signs in on the node at `base` (C001, the app under test, unless told otherwise). */
  static async login({ username, password }, base = BASE_URL) {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json();
    if (!response.ok) throw new ApiError(response.status, body);
    return new Api(body.access_token, base);
  }

  async request(method, path, body) {
    const response = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body);
  }

  /** Registers someone at the caller's centre; returns the PersonView (with `common_id`). */
  registerPerson(overrides = {}) {
    return this.post('/persons', {
      family_name: '試験',
      given_name: '太郎',
      family_kana: 'シケン',
      given_kana: 'タロウ',
      birth_date: '1945-06-15',
      sex: 'M',
      residence_municipality: '392014',
      categories: ['elderly'],
      care_level: 'independent',
      disabilities: [],
      household: 'alone',
      registered_on: '2024-04-01',
      ...overrides,
    });
  }

  /** Records a 集い with registered participants and unregistered headcounts. */
  recordGathering({ date, title, participants, unregistered = {} }) {
    return this.post('/activities', {
      id: crypto.randomUUID(),
      date,
      function: 'tsudoi',
      title,
      start_time: '10:00',
      end_time: '11:30',
      staff_count: 2,
      volunteer_count: 1,
      unregistered,
      participants: participants.map((common_id) => ({ common_id })),
    });
  }
}

/** The API as the signed-in page sees it: the access token the SPA keeps in sessionStorage. */
export async function apiOfPage(page) {
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('attaka.session')).tokens.access_token);
  return new Api(token);
}
