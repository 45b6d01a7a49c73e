import { describe, expect, it } from 'vitest';
import { FilterError, MAX_FILTER_LENGTH, parseFilter } from './filter.js';

const block = { result: 'block', model: 'gpt-5.1', tokens: 812, flagged: true, note: null };
const escalate = { result: 'escalate', model: 'claude', tokens: 10, flagged: false };
const allow = { result: 'allow', model: 'gpt-5.1', tokens: 812 };

describe('parseFilter', () => {
  it('matches one term against a string field exactly', () => {
    const f = parseFilter('result=block');
    expect(f(block)).toBe(true);
    expect(f(allow)).toBe(false);
    expect(f({ result: 'Block' })).toBe(false);
    expect(f({ result: 'block ' })).toBe(false);
    expect(f({})).toBe(false);
  });

  it('result=block OR result=escalate', () => {
    const f = parseFilter('result=block OR result=escalate');
    expect([block, escalate, allow].map(f)).toEqual([true, true, false]);
  });

  it('AND binds tighter than OR', () => {
    // (model=claude AND result=escalate) OR result=allow; read the other way it would reject allow.
    const f = parseFilter('model=claude AND result=escalate OR result=allow');
    expect([block, escalate, allow].map(f)).toEqual([false, true, true]);
    // result=block OR (result=allow AND model=claude): allow has model gpt-5.1, so only block.
    const g = parseFilter('result=block OR result=allow AND model=claude');
    expect([block, escalate, allow].map(g)).toEqual([true, false, false]);
  });

  it('takes keywords in any case and spaces around "="', () => {
    const f = parseFilter('result = block or result=escalate AnD tokens=10');
    expect([block, escalate, allow].map(f)).toEqual([true, true, false]);
  });

  it('compares numbers, booleans and null by their JSON text', () => {
    expect(parseFilter('tokens=812')(block)).toBe(true);
    expect(parseFilter('tokens=812.0')(block)).toBe(false);
    expect(parseFilter('flagged=true')(block)).toBe(true);
    expect(parseFilter('flagged=true')(escalate)).toBe(false);
    expect(parseFilter('note=null')(block)).toBe(true);
    expect(parseFilter('note=null')(allow)).toBe(false);
    expect(parseFilter('cost=0.0123')({ cost: 0.0123 })).toBe(true);
  });

  it('never matches an object or an array, nor a nested name', () => {
    const nested = { guardrails: { pii: 'pass' }, tags: ['a'] };
    expect(parseFilter('guardrails="[object Object]"')(nested)).toBe(false);
    expect(parseFilter('tags=a')(nested)).toBe(false);
    expect(parseFilter('guardrails.pii=pass')(nested)).toBe(false);
    expect(parseFilter('toString=x')({})).toBe(false);
  });

  it('takes double-quoted names and values with spaces, keywords and escapes', () => {
    expect(parseFilter('model="gpt 5 OR x"')({ model: 'gpt 5 OR x' })).toBe(true);
    expect(parseFilter('"user name"="Ada Lovelace"')({ 'user name': 'Ada Lovelace' })).toBe(true);
    expect(parseFilter('q="say \\"hi\\" \\\\ bye"')({ q: 'say "hi" \\ bye' })).toBe(true);
    expect(parseFilter('q=""')({ q: '' })).toBe(true);
    expect(parseFilter('"OR"=and')({ OR: 'and' })).toBe(true);
    expect(parseFilter('q="a=b (c)"')({ q: 'a=b (c)' })).toBe(true);
    // Quoting only delimits: a quoted number still compares with the number's JSON text.
    expect(parseFilter('tokens="812"')(block)).toBe(true);
  });

  it('keeps non-ASCII text as it is', () => {
    expect(parseFilter('user=zoë AND city="São Paulo"')({ user: 'zoë', city: 'São Paulo' })).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['result', /expected "=" after the field name "result", found the end/],
    ['result=', /expected a value after "result"=.*write "" for the empty string/],
    ['=block', /expected a field name at character 1/],
    ['result=block OR', /ends after OR/],
    ['result=block and', /ends after AND/],
    ['result=block result=allow', /expected AND or OR at character 14/],
    ['result=block XOR result=allow', /expected AND or OR at character 14.*found XOR/],
    ['OR result=block', /expected a field=value term at character 1.*found OR/],
    ['result==block', /expected a value after "result"=, found "="/],
    ['result!=block', /only "=" is accepted/],
    ['(result=block)', /parentheses are not supported at character 1/],
    ['result=block AND (a=b OR c=d)', /parentheses/],
    ['model="gpt', /no closing double quote/],
    ['model="a\\nb"', /unknown escape.*only \\" and \\\\/],
    ['a=b=c', /expected AND or OR/],
  ])('refuses %j', (expr, message) => {
    let error: unknown;
    try {
      parseFilter(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FilterError);
    expect((error as FilterError).message).toMatch(message);
  });

  it('says what is accepted in its messages, and refuses overlong filters', () => {
    expect(() => parseFilter('result')).toThrow(/field=value terms joined by AND or OR/);
    expect(() => parseFilter(`a=${'x'.repeat(MAX_FILTER_LENGTH)}`)).toThrow(FilterError);
    expect(() => parseFilter(42 as unknown as string)).toThrow(TypeError);
  });
});
